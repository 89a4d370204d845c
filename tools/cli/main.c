/*
 * fieldlm — the host command-line program.
 *
 *   fieldlm <command> [options]
 *
 * Each command is a function in tools/cli/cmd_<name>.c, listed below.
 */
#include <stdio.h>
#include <string.h>

#include "core/base/version.h"
#include "tools/cli/cli.h"

static const flm_cli_command_t commands[] = {
    /* { "name", flm_cmd_name, "one-line summary" }, */
    { "cloud",   flm_cmd_cloud,   "send one prompt to an OpenAI-compatible endpoint" },
    { "convert", flm_cmd_convert, "convert a llama2.c checkpoint + tokenizer to a .flm model image" },
    { "info",    flm_cmd_info,    "show a .flm image: config, tensors, flash and RAM, integrity" },
    { "run",     flm_cmd_run,     "generate text from a prompt, streamed as it is produced" },
    { "ppl",     flm_cmd_ppl,     "perplexity of a model on a text file" },
    { NULL, NULL, NULL },
};

static void print_help(FILE *f)
{
    fprintf(f,
            "usage: fieldlm <command> [options]\n"
            "       fieldlm --help | --version\n"
            "\n"
            "fieldlm runs small quantized language models on-device with integer-only\n"
            "kernels and escalates hard prompts to a cloud LLM.\n"
            "\n"
            "commands:\n");
    for (const flm_cli_command_t *c = commands; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "  %-10s %s\n", "help", "show this help, or a command's: fieldlm help <command>");
    fprintf(f, "  %-10s %s\n", "version", "print the version");
    fprintf(f, "\nRun 'fieldlm <command> --help' for a command's options.\n");
}

static const flm_cli_command_t *find(const char *name)
{
    for (const flm_cli_command_t *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return FLM_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        print_help(stdout);
        return FLM_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("fieldlm %s\n", FLM_VERSION_STRING);
        return FLM_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            print_help(stdout);
            return FLM_EXIT_OK;
        }
        const flm_cli_command_t *c = find(argv[2]);
        if (!c) {
            fprintf(stderr, "fieldlm: unknown command '%s'\nTry 'fieldlm --help'.\n", argv[2]);
            return FLM_EXIT_USAGE;
        }
        char help[] = "--help";
        char *args[] = { argv[2], help, NULL };
        return c->fn(2, args);
    }
    if (cmd[0] == '-') {
        fprintf(stderr, "fieldlm: unknown option '%s'\nTry 'fieldlm --help'.\n", cmd);
        return FLM_EXIT_USAGE;
    }
    const flm_cli_command_t *c = find(cmd);
    if (!c) {
        fprintf(stderr, "fieldlm: unknown command '%s'\nTry 'fieldlm --help'.\n", cmd);
        return FLM_EXIT_USAGE;
    }
    /* The command sees argv[0] = its own name. */
    return c->fn(argc - 1, argv + 1);
}
