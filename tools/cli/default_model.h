/* The model a command uses when it is given none: the project's own
 * default model, shipped in the repository as models/FLM_DEFAULT_MODEL_NAME.
 *
 * Looked for, in this order (the first file that can be read wins):
 *   1. $FIELDLM_MODEL, if set (then only there);
 *   2. next to the program: <dir>/../../models/NAME (build/<board>/fieldlm
 *      in a clone) and <dir>/../share/fieldlm/NAME (an installed bin/);
 *   3. the clone's models/NAME as an absolute path compiled in at build time
 *      (FLM_DEFAULT_MODEL_PATH, tools/cli/rules.mk);
 *   4. models/NAME under the working directory. */
#ifndef FLM_CLI_DEFAULT_MODEL_H
#define FLM_CLI_DEFAULT_MODEL_H

#include <stddef.h>

#ifndef FLM_DEFAULT_MODEL_NAME
#define FLM_DEFAULT_MODEL_NAME "fieldtales-800k.flm"
#endif

/* The path of the default model in buf, or NULL after writing to err (a
 * line naming every place tried and how to give a model). */
const char *flm_cli_default_model(char *buf, size_t len, char *err, size_t errlen);

#endif /* FLM_CLI_DEFAULT_MODEL_H */
