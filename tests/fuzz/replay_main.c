/* replay_main.c - runs a fuzz target without libFuzzer, so that every build
 * (gcc, ASan, coverage) replays its seed corpus and N fixed pseudo-random
 * inputs: `replay_fuzz_x [-random=N] [FILE|DIR]...`; a crash or abort fails. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		if (f != NULL)
			fclose(f);
		return 1;
	}
	p = malloc((size_t)n + 1);
	if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		fclose(f);
		free(p);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(p, (size_t)n);
	free(p);
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	char sub[4096];
	int bad = 0, n = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: no '%s'\n", path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	if ((d = opendir(path)) == NULL)
		return 1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		bad |= run_file(sub);
		n++;
	}
	closedir(d);
	printf("replay: %d inputs from '%s'\n", n, path);
	return bad || n == 0;
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int main(int argc, char **argv)
{
	uint8_t buf[1024];
	uint32_t seed = 0x9e3779b9u;
	long i, k, n, len;
	int bad = 0;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "-random=", 8) == 0) {
			n = strtol(argv[i] + 8, NULL, 10);
			for (k = 0; k < n; k++) {
				len = (long)(xorshift(&seed) % sizeof(buf));
				for (long j = 0; j < len; j++)
					buf[j] = (uint8_t)xorshift(&seed);
				LLVMFuzzerTestOneInput(buf, (size_t)len);
			}
			printf("replay: %ld random inputs\n", n);
		} else {
			bad |= run_path(argv[i]);
		}
	}
	return bad;
}
