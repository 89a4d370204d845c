/* The model image, linked into flash as const data (section .model, see
 * mps2.ld). FLM_MODEL_PATH is the .flm file converted at build time; an
 * empty file links a firmware without a model. */
    .section .model, "a"
    .balign 16
    .global flm_board_model
flm_board_model:
    .incbin FLM_MODEL_PATH
    .global flm_board_model_end
flm_board_model_end:
