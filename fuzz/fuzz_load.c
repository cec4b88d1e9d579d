/*
** fuzz_load: the definition loader (csrc/defn) and the schema compiler (csrc/types) on a fuzzed
** definition.
**
** Input: YAML text. Without a line "#---" it is one channel file, loaded by its path (the
** single-file mode of fws_load). With such lines it is split into up to four files of a folder,
** loaded as a folder:
**     part 1 -> api.yml
**     part 2 -> sub/chat.yml            (channel "sub.chat")
**     part 3 -> sub/__package__.yml     (what `imports: root: __package__.yml` names, as in hume)
**     part 4 -> other.yml
** ("#---" is a YAML comment, so each seed stays a readable definition.)
**
** Each run: load, format every diagnostic, and when the definition has no errors compile it
** (fws_schema_compile) and describe every declaration; then free everything.
*/
#define _DEFAULT_SOURCE /* mkdtemp */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defn/fws_model.h"
#include "types/fws_schema.h"

static char g_root[256];     /* folder mode */
static char g_single[256];   /* single-file mode */

static const char *const part_names[] = {"api.yml", "sub/chat.yml", "sub/__package__.yml", "other.yml"};
enum { NPARTS = 4 };

static void die(const char *what) {
  perror(what);
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  /* tmpfs when there is one: the target writes files on every run */
  const char *base = getenv("FWS_FUZZ_TMP");
  if (!base) base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  char tmpl[200];
  snprintf(tmpl, sizeof tmpl, "%s/fws-fuzz-load-XXXXXX", base);
  if (!mkdtemp(tmpl)) die("mkdtemp");
  snprintf(g_root, sizeof g_root, "%s/def", tmpl);
  snprintf(g_single, sizeof g_single, "%s/one", tmpl);
  char sub[300];
  snprintf(sub, sizeof sub, "%s/sub", g_root);
  if (mkdir(g_root, 0700) || mkdir(sub, 0700) || mkdir(g_single, 0700)) die("mkdir");
  return 0;
}

static void write_file(const char *path, const uint8_t *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) die(path);
  if (len && fwrite(data, 1, len, f) != len) die("fwrite");
  if (fclose(f)) die("fclose");
}

/* Where the next "#---" line starts at or after from (a line of its own), or NULL. */
static const uint8_t *find_marker(const uint8_t *data, size_t size, size_t from) {
  static const char m[] = "#---";
  for (size_t i = from; i + 4 <= size; i++) {
    if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, m, 4) == 0 && (i + 4 == size || data[i + 4] == '\n'))
      return data + i;
  }
  return NULL;
}

static void exercise(fws_api *api) {
  /* every diagnostic formats into a non-empty line */
  fws_arena tmp;
  fws_arena_init(&tmp);
  for (size_t i = 0; i < api->diags.n; i++) {
    char *line = fws_diag_format(&tmp, &api->diags.items[i]);
    if (!line || !line[0]) abort();
  }
  fws_arena_free(&tmp);
  if (api->diags.nerrors) return;

  char buf[256];
  for (size_t i = 0; i < api->ntypes; i++) fws_type_describe(api->types[i], buf, sizeof buf);
  for (size_t i = 0; i < api->nchannels; i++) {
    const fws_channel *ch = api->channels[i];
    if (fws_api_channel(api, ch->name) != ch) abort();
    for (size_t m = 0; m < ch->nmessages; m++)
      if (ch->messages[m].body) fws_type_describe(ch->messages[m].body, buf, sizeof buf);
  }
  fws_schema *s = fws_schema_compile(api);
  if (!s) abort(); /* NULL only when out of memory */
  fws_schema_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[512];
  const uint8_t *m = find_marker(data, size, 0);
  fws_api *api;
  if (!m) {
    snprintf(path, sizeof path, "%s/chat.yml", g_single);
    write_file(path, data, size);
    api = fws_load(path, NULL);
  } else {
    size_t at = 0;
    for (int p = 0; p < NPARTS; p++) {
      snprintf(path, sizeof path, "%s/%s", g_root, part_names[p]);
      if (at > size) {
        unlink(path);
        continue;
      }
      const uint8_t *next = p + 1 < NPARTS ? find_marker(data, size, at) : NULL;
      size_t end = next ? (size_t)(next - data) : size;
      write_file(path, data + at, end - at);
      at = next ? end + 5 : size + 1; /* past "#---\n" */
    }
    api = fws_load(g_root, NULL);
  }
  if (!api) abort(); /* NULL only when out of memory */
  exercise(api);
  fws_api_free(api);
  return 0;
}
