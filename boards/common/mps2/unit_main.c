/*
 * The unit-test ELF's entry (boards/common/mps2/unit.mk): the harness's
 * main (tests/harness/harness.c, renamed flm_test_main) with its arguments
 * from the semihosting command line (QEMU: the ELF's name, then -append's
 * text: the test prefix), its
 * printf through newlib's semihosting library. Tests only: the firmware
 * never links this.
 */
#include <stdio.h>

#include "port/cortexm/hal_cortexm.h"

int flm_test_main(int argc, char **argv);
void initialise_monitor_handles(void); /* librdimon */
int main(void);

int main(void)
{
    initialise_monitor_handles();
    static char line[128];
    char *argv[4] = { "unit", NULL, NULL, NULL };
    int argc = 0;
    if (flm_semihost_cmdline(line, sizeof line) == FLM_OK)
        for (char *p = line; *p && argc < 3;) {
            while (*p == ' ')
                *p++ = '\0';
            if (*p)
                argv[argc++] = p;
            while (*p && *p != ' ')
                p++;
        }
    int status = flm_test_main(argc ? argc : 1, argv);
    fflush(stdout);
    return status;
}
