/*
** bench/load: the time fws_load takes on a definition folder (the hume fixture by default) next
** to a bare libyaml parse of the same files (read each file, run yaml_parser_parse until the
** stream ends, nothing built). Both read the files the same way, so the ratio is what the node
** tree, the model, the resolver and the checks cost on top of YAML itself. Also shown: the
** schema compilation fernws.load does after fws_load (csrc/types), and the file reading alone.
**
** usage: bench_load [DEFINITION_DIR] [ROUNDS] [MIN_MS_PER_ROUND]
** A folder holding an AsyncAPI document (../shared/fixtures/asyncapi/deepgram-3.0) works the same.
** Rounds alternate the contenders; each contender's figure is the median over rounds of its mean
** CPU time per load in that round; the ratio is the median of the per-round ratios.
*/
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <yaml.h>

#include "defn/fws_model.h"
#include "types/fws_schema.h"

#ifndef FWS_BENCH_HUME_DEFAULT
#define FWS_BENCH_HUME_DEFAULT "../shared/fixtures/fern/hume/definition"
#endif

static char **files;
static size_t nfiles, capfiles, total_bytes;

static void collect(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    perror(dir);
    exit(1);
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    size_t n = strlen(dir) + strlen(e->d_name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(p, &st) != 0) {
      free(p);
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      collect(p);
      free(p);
    } else if (n > 5 && strcmp(p + strlen(p) - 4, ".yml") == 0) {
      if (nfiles == capfiles) files = realloc(files, (capfiles = capfiles ? capfiles * 2 : 32) * sizeof *files);
      files[nfiles++] = p;
      total_bytes += (size_t)st.st_size;
    } else {
      free(p);
    }
  }
  closedir(d);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
    perror(path);
    exit(1);
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* CPU time of the process: time other processes take on this shared machine does not count */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t sink;

/* ---- the contenders: each loads the whole definition once ---- */

static void read_only(const char *dir) {
  (void)dir;
  for (size_t i = 0; i < nfiles; i++) {
    size_t len;
    char *text = read_file(files[i], &len);
    sink += len + (unsigned char)text[len / 2];
    free(text);
  }
}

static void yaml_only(const char *dir) {
  (void)dir;
  for (size_t i = 0; i < nfiles; i++) {
    size_t len;
    char *text = read_file(files[i], &len);
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    yaml_event_t ev;
    for (;;) {
      if (!yaml_parser_parse(&p, &ev)) {
        fprintf(stderr, "%s: YAML error: %s\n", files[i], p.problem);
        exit(1);
      }
      int done = ev.type == YAML_STREAM_END_EVENT;
      sink += ev.type;
      yaml_event_delete(&ev);
      if (done) break;
    }
    yaml_parser_delete(&p);
    free(text);
  }
}

static void fws_only(const char *dir) {
  fws_api *api = fws_load(dir, NULL);
  if (!api || api->diags.nerrors) {
    fprintf(stderr, "%s does not load\n", dir);
    exit(1);
  }
  sink += api->ntypes;
  fws_api_free(api);
}

static void fws_and_compile(const char *dir) {
  fws_api *api = fws_load(dir, NULL);
  if (!api || api->diags.nerrors) exit(1);
  fws_schema *s = fws_schema_compile(api);
  if (!s) exit(1);
  sink += api->ntypes;
  fws_schema_free(s);
  fws_api_free(api);
}

typedef struct contender {
  const char *name;
  void (*fn)(const char *dir);
  double per_round[64];
} contender;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(const double *v, int n) {
  double tmp[64];
  memcpy(tmp, v, (size_t)n * sizeof *v);
  qsort(tmp, (size_t)n, sizeof *tmp, cmp_double);
  return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* mean seconds per call over at least min_s of calls */
static double time_it(void (*fn)(const char *), const char *dir, double min_s, long *iters) {
  long n = 0;
  double t0 = now(), t;
  do {
    fn(dir);
    n++;
    t = now();
  } while (t - t0 < min_s);
  *iters = n;
  return (t - t0) / (double)n;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 && argv[1][0] ? argv[1] : getenv("FWS_HUME") ? getenv("FWS_HUME") : FWS_BENCH_HUME_DEFAULT;
  int rounds = argc > 2 ? atoi(argv[2]) : 9;
  double min_s = (argc > 3 ? atof(argv[3]) : 300) / 1000.0;
  if (rounds < 1) rounds = 1;
  if (rounds > 64) rounds = 64;
  collect(dir);
  if (!nfiles) {
    fprintf(stderr, "no .yml files under %s\n", dir);
    return 1;
  }
  contender cs[] = {{"read files only", read_only, {0}},
                    {"libyaml events (bare parse)", yaml_only, {0}},
                    {"fws_load", fws_only, {0}},
                    {"fws_load + fws_schema_compile", fws_and_compile, {0}}};
  enum { NC = sizeof cs / sizeof cs[0] };
  double ratio_load[64], ratio_compile[64];
  long iters[NC] = {0};

  /* warm-up: page cache, allocator, branch predictors */
  for (int c = 0; c < NC; c++) time_it(cs[c].fn, dir, min_s / 3, &iters[c]);

  for (int r = 0; r < rounds; r++) {
    for (int k = 0; k < NC; k++) {
      int c = (r % 2) ? NC - 1 - k : k; /* alternate the order: no contender always goes first */
      long it;
      cs[c].per_round[r] = time_it(cs[c].fn, dir, min_s, &it);
      iters[c] += it;
    }
    ratio_load[r] = cs[2].per_round[r] / cs[1].per_round[r];
    ratio_compile[r] = cs[3].per_round[r] / cs[1].per_round[r];
  }

  printf("definition: %s (%zu files, %zu bytes)\n", dir, nfiles, total_bytes);
  printf("%d rounds of >= %.0f ms CPU time per contender; median of per-round means\n\n", rounds, min_s * 1000);
  printf("%-32s %12s %10s %10s\n", "contender", "ms per load", "MB/s", "loads");
  for (int c = 0; c < NC; c++) {
    double m = median(cs[c].per_round, rounds);
    printf("%-32s %12.3f %10.1f %10ld\n", cs[c].name, m * 1e3, (double)total_bytes / m / 1e6, iters[c]);
  }
  double rl = median(ratio_load, rounds), rc = median(ratio_compile, rounds);
  printf("\nratio fws_load / bare libyaml parse:           %.2fx  (target <= 2.0x: %s)\n", rl,
         rl <= 2.0 ? "met" : "NOT met");
  printf("ratio fws_load + compile / bare libyaml parse: %.2fx\n", rc);
  if (sink == 42) printf(" ");
  return rl <= 2.0 ? 0 : 3;
}
