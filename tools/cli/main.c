/*
 * fieldlm — the host command-line program.
 *
 *   fieldlm <command> [options]
 *
 * Each command is one file, tools/cli/cmd_<name>.c (see cli.h); the build
 * lists them in cli_commands.h.
 */
#include <stdio.h>
#include <string.h>

#include "core/base/strdist.h"
#include "core/base/version.h"
#include "tools/cli/cli.h"

#define X(name) extern const flm_cli_command_t flm_cmd_##name;
#include "cli_commands.h"
#undef X

static const flm_cli_command_t *const commands[] = {
#define X(name) &flm_cmd_##name,
#include "cli_commands.h"
#undef X
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

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
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "  %-10s %s\n", "help", "show this help, or a command's: fieldlm help <command>");
    fprintf(f, "  %-10s %s\n", "version", "print the version");
    fprintf(f, "\nRun 'fieldlm <command> --help' for a command's options.\n");
}

static const flm_cli_command_t *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    fprintf(stderr, "fieldlm: unknown command '%s'", name);
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        size_t d = flm_strdist(name, strlen(name), commands[i]->name, strlen(commands[i]->name), best_d);
        if (d < best_d) {
            best_d = d;
            best = commands[i]->name;
        }
    }
    if (best)
        fprintf(stderr, " (did you mean '%s'?)", best);
    fprintf(stderr, "\nTry 'fieldlm --help'.\n");
    return FLM_EXIT_USAGE;
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
        if (!c)
            return unknown_command(argv[2]);
        char help[] = "--help";
        char *args[] = { argv[2], help, NULL };
        return c->main(2, args);
    }
    if (cmd[0] == '-') {
        fprintf(stderr, "fieldlm: unknown option '%s'\nTry 'fieldlm --help'.\n", cmd);
        return FLM_EXIT_USAGE;
    }
    const flm_cli_command_t *c = find(cmd);
    if (!c)
        return unknown_command(cmd);
    /* The command sees argv[0] = its own name. */
    return c->main(argc - 1, argv + 1);
}
