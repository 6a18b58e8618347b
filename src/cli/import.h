/* import.h - what cmd_import.c shares with the password-store reader. */
#ifndef SC_CLI_IMPORT_H
#define SC_CLI_IMPORT_H

#include "cli/cli.h"
#include "secretctl/port.h"

/* Every NAME.gpg under dir into set, decrypted by gpg. */
int cli_import_pass(const char *dir, struct sc_import_set *set, int progress);
/* "\rsecretctl: WHAT i/n" on stderr (a terminal), a newline at the end. */
void cli_import_progress(const char *what, size_t i, size_t n);

#endif
