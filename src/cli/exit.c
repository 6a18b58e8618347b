/* exit.c - the words of the man page's EXIT STATUS section, one entry per
 * exit code (which status gives which code is the status table's, in
 * src/lib/base/status.c). test_exit checks man/secretctl.1 against this
 * table word for word, and that every status's code is in it. */
#include <stddef.h>

#include "cli/cli.h"

/* Ordered as the man page lists them. */
const struct cli_exit cli_exits[] = {
    {EXIT_OK, "Success."},
    {EXIT_FAIL, "General failure (an I/O or database error);\n"
                "for\n"
                ".Cm exists :\n"
                "the secret does not exist;\n"
                "for\n"
                ".Cm verify\n"
                "and\n"
                ".Cm key hmac Fl -verify :\n"
                "the signature or MAC does not match;\n"
                "for\n"
                ".Cm doctor :\n"
                "it found something (the report says what);\n"
                "for\n"
                ".Cm key trim\n"
                "and\n"
                ".Cm key destroy :\n"
                "an item of the vault still needs the version\n"
                ".Pq Cm key rewrap Fl -all ."},
    {EXIT_USAGE, "Bad command line or bad input: unknown command or option, missing or extra\n"
                 "argument, invalid name, tag or date, empty or oversized value, a value given\n"
                 "on the command line, a password shorter than 8 characters."},
    {EXIT_NOTFOUND, "No such secret, field, file or vault."},
    {EXIT_AUTH, "Wrong password, or no password available (locked, or a\n"
                ".Fl -password-fd\n"
                "that is not open), or no token to unlock with."},
    {EXIT_PERM, "Unsafe permissions: the vault directory or one of its files is accessible\n"
                "by group or others, is owned by another user, or is a symbolic link."},
    {EXIT_CORRUPT, "The vault is corrupt or has been tampered with, or its format is not\n"
                   "supported by this version; a ciphertext that does not open (tampered, or\n"
                   "another key, version or encryption context)."},
    {EXIT_EXISTS, "Already exists: a vault where\n"
                  ".Cm init\n"
                  "would create one; a field given twice; a key of that name."},
    {EXIT_EXPIRED, "The secret has expired:\n"
                   ".Cm get\n"
                   "still prints its value (with a warning),\n"
                   ".Cm run\n"
                   "refuses it."},
    {EXIT_DENIED, "Refused by policy or by a built-in rule; a key operation its version's\n"
                  "state forbids (the message names the state and the way out), a read\n"
                  "of a secret sealed under such a version, an\n"
                  "export of a key not created\n"
                  ".Fl -exportable ,\n"
                  "or a\n"
                  ".Cm rekey\n"
                  "that would leave a key slot it cannot rewrap (a recovery slot without\n"
                  ".Fl -drop-slot ) ."},
    {EXIT_AUDIT, "Audit log verification failed\n"
                 ".Pq Cm audit verify , audit prune ."},
    {EXIT_READONLY, "The vault is on a read-only file system: reads work, writes fail."},
    {EXIT_NOSPACE, "No space left on the vault's device (or quota exceeded)."},
    {EXIT_LOOKUP, ".Cm exists :\n"
                  "the look-up failed (an I/O or database error), so whether the secret\n"
                  "exists is not known."},
    {EXIT_TOKEN, "A hardware token is not available: absent (not plugged in, or no\n"
                 "PKCS#11 module offers it), its user PIN locked, removed mid-session, or\n"
                 "the key of its key slot or a named key's object gone from it."},
    {EXIT_PEER, ".Cm frost :\n"
                "the other end of a session failed: a participant (named in the message)\n"
                "or the coordinator did not answer in time, closed the connection, sent a\n"
                "malformed or unexpected message, refused, or gave a bad signature share."},
    {124, ".Cm run :\nthe command ran out of time\n.Pq Fl -timeout ."},
    {EXIT_RUN_FAIL, ".Cm run :\n"
                    ".Nm\n"
                    "failed before the command started, for any reason but an expired secret\n"
                    "(otherwise\n"
                    ".Cm run\n"
                    "exits with the command's status)."},
    {126, ".Cm run :\nthe command was found but cannot be executed."},
    {127, ".Cm run :\nthe command was not found."},
    {-1, ".Cm run :\nthe command was killed by signal\n.Ar N ."},
};
const size_t cli_exits_count = sizeof(cli_exits) / sizeof(cli_exits[0]);
