/* The router's parameters for the linked model and the prompts of the
 * firmware's --route check, as const data in flash (.rodata). */
    .section .rodata.flm_router, "a"
    .balign 4
    .global flm_board_router_params
flm_board_router_params:
    .incbin FLM_ROUTER_PARAMS_PATH
    .global flm_board_router_params_end
flm_board_router_params_end:
    .global flm_board_route_prompts
flm_board_route_prompts:
    .incbin FLM_ROUTE_PROMPTS_PATH
    .global flm_board_route_prompts_end
flm_board_route_prompts_end:
