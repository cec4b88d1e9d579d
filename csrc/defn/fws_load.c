/* fws_load: finds the files of a definition, parses them, and drives the readers and resolver. */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700 /* realpath */
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "defn/fws_asyncapi.h"
#include "defn/fws_loader.h"

/* ---- allocation and diagnostics helpers ---- */

void *fws_ld_alloc(fws_loader *ld, size_t size) {
  void *p = fws_arena_alloc(&ld->api->arena, size);
  if (!p) longjmp(ld->oom, 1);
  return p;
}

char *fws_ld_strndup(fws_loader *ld, const char *s, size_t n) {
  char *p = fws_arena_strndup(&ld->api->arena, s, n);
  if (!p) longjmp(ld->oom, 1);
  return p;
}

char *fws_ld_str(fws_loader *ld, const fws_node *scalar) {
  (void)ld;
  return (char *)scalar->str; /* scalars already live in the arena, NUL-terminated */
}

void fws_ld_push(fws_loader *ld, fws_vec *v, void *item) {
  if (fws_vec_push(&ld->api->arena, v, item)) longjmp(ld->oom, 1);
}

void fws_ld_add_ref(fws_loader *ld, fws_type *ref) {
  fws_ld_push(ld, &ld->refs, ref);
  fws_ld_push(ld, &ld->ref_owners, (void *)ld->owner);
}

static void ld_diag(fws_loader *ld, fws_severity sev, fws_pos pos, const char *fmt, va_list ap) {
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  size_t before = ld->api->diags.n;
  fws_diag_add(&ld->api->diags, sev, pos, "%s", buf);
  if (ld->api->diags.n > before) fws_ld_push(ld, &ld->owners, (void *)ld->owner);
}

void fws_ld_error(fws_loader *ld, fws_pos pos, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ld_diag(ld, FWS_ERROR, pos, fmt, ap);
  va_end(ap);
}

void fws_ld_warn(fws_loader *ld, fws_pos pos, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  ld_diag(ld, FWS_WARNING, pos, fmt, ap);
  va_end(ap);
}

static const char *kind_words(const fws_node *n) {
  if (!n) return "nothing";
  if (n->kind == FWS_NODE_MAP) return "a mapping";
  if (n->kind == FWS_NODE_SEQ) return "a list";
  if (n->stype == FWS_SCALAR_NULL) return "an empty value";
  return "a plain value";
}

int fws_ld_expect_map(fws_loader *ld, const fws_node *n, const char *what) {
  if (n && n->kind == FWS_NODE_MAP) return 1;
  if (n) fws_ld_error(ld, n->pos, "%s must be a mapping, found %s", what, kind_words(n));
  return 0;
}

int fws_ld_expect_seq(fws_loader *ld, const fws_node *n, const char *what) {
  if (n && n->kind == FWS_NODE_SEQ) return 1;
  if (n) fws_ld_error(ld, n->pos, "%s must be a list, found %s", what, kind_words(n));
  return 0;
}

int fws_ld_expect_scalar(fws_loader *ld, const fws_node *n, const char *what) {
  if (n && n->kind == FWS_NODE_SCALAR) return 1;
  if (n) fws_ld_error(ld, n->pos, "%s must be a plain value, found %s", what, kind_words(n));
  return 0;
}

const fws_node *fws_ld_section(const fws_node *map, const char *key) {
  const fws_node *n = fws_node_get(map, key);
  return n && n->kind == FWS_NODE_SCALAR && n->plain && n->stype == FWS_SCALAR_NULL ? NULL : n;
}

const char *fws_ld_opt_str(fws_loader *ld, const fws_node *map, const char *key) {
  const fws_node *n = fws_node_get(map, key);
  if (!n) return NULL;
  char what[96];
  snprintf(what, sizeof what, "'%s'", key);
  if (!fws_ld_expect_scalar(ld, n, what)) return NULL;
  if (n->stype == FWS_SCALAR_NULL && n->plain) return NULL;
  return n->str;
}

int fws_ld_opt_bool(fws_loader *ld, const fws_node *map, const char *key, int dflt) {
  const fws_node *n = fws_node_get(map, key);
  if (!n) return dflt;
  int b;
  if (fws_scalar_bool(n, &b)) return b;
  fws_ld_error(ld, n->pos, "'%s' must be true or false", key);
  return dflt;
}

void fws_ld_known_keys(fws_loader *ld, const fws_node *map, const char *what, const char *const *keys) {
  if (!map || map->kind != FWS_NODE_MAP) return;
  for (size_t i = 0; i < map->n; i++) {
    const fws_node *k = map->keys[i];
    int known = 0;
    for (const char *const *p = keys; *p && !known; p++) known = fws_node_is(k, *p);
    const char *near = known ? NULL : fws_nearest(k->str, keys);
    if (!known) fws_ld_warn(ld, k->pos, "unknown key '%s' in %s (ignored)%s%s%s", k->str, what,
                            near ? ": did you mean '" : "", near ? near : "", near ? "'?" : "");
  }
}

/* ---- files ---- */

char *fws_ld_read_file(fws_loader *ld, const char *path, const char *shown, size_t *len, fws_pos pos) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fws_ld_error(ld, pos, "cannot open %s: %s", shown, strerror(errno));
    return NULL;
  }
  /* start at the file's size, so a regular file is one read and no copy */
  struct stat st;
  size_t cap = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
                       (size_t)st.st_size < ld->opts.max_file_size
                   ? (size_t)st.st_size + 1
                   : 4096;
  size_t n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n == cap) {
      if (cap >= ld->opts.max_file_size) {
        fws_ld_error(ld, pos, "%s is larger than the limit of %zu bytes", shown, ld->opts.max_file_size);
        free(buf);
        fclose(f);
        return NULL;
      }
      char *nb = realloc(buf, cap * 2);
      if (!nb) free(buf);
      buf = nb;
      cap *= 2;
      if (!buf) break;
    }
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (r == 0) break;
  }
  if (!buf) {
    fclose(f);
    longjmp(ld->oom, 1);
  }
  if (ferror(f)) {
    fws_ld_error(ld, pos, "cannot read %s: %s", shown, strerror(errno));
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = n;
  return buf;
}

static int ends_with(const char *s, const char *suffix) {
  size_t ls = strlen(s), lx = strlen(suffix);
  return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* "empathic-voice/chat.yml" -> "empathic-voice.chat"; "a/__package__.yml" -> "a"; root package "" */
static const char *package_of(fws_loader *ld, const char *rel) {
  size_t n = strlen(rel) - (ends_with(rel, ".yaml") ? 5 : 4); /* without ".yml" or ".yaml" */
  char *p = fws_ld_strndup(ld, rel, n);
  const char *base = strrchr(p, '/');
  base = base ? base + 1 : p;
  if (strcmp(base, "__package__") == 0) p[base == p ? 0 : (size_t)(base - p - 1)] = '\0';
  for (char *c = p; *c; c++)
    if (*c == '/') *c = '.';
  return p;
}

static fws_file *find_file(fws_api *api, const char *rel) {
  for (size_t i = 0; i < api->nfiles; i++)
    if (strcmp(api->files[i]->rel, rel) == 0) return api->files[i];
  return NULL;
}

static fws_file *add_file(fws_loader *ld, fws_vec *files, const char *root, const char *rel, fws_pos from) {
  fws_api *api = ld->api;
  for (size_t i = 0; i < files->n; i++)
    if (strcmp(((fws_file *)files->items[i])->rel, rel) == 0) return files->items[i];
  if (files->n >= ld->opts.max_files) {
    fws_ld_error(ld, from, "too many files (limit %zu)", ld->opts.max_files);
    return NULL;
  }
  fws_file *f = fws_ld_alloc(ld, sizeof *f);
  f->rel = fws_ld_strndup(ld, rel, strlen(rel));
  f->path = root[0] && strcmp(root, ".") != 0 ? fws_arena_printf(&api->arena, "%s/%s", root, rel) : f->rel;
  if (!f->path) longjmp(ld->oom, 1);
  f->package = package_of(ld, rel);
  f->is_api = strcmp(rel, "api.yml") == 0;
  fws_ld_push(ld, files, f);
  size_t len;
  /* at the file itself the place already names it; at an import, say which file */
  const char *shown = !from.file || strcmp(from.file, f->path) == 0 ? "the file" : f->path;
  char *text = fws_ld_read_file(ld, f->path, shown, &len, from.file ? from : (fws_pos){f->path, 0, 0});
  if (text) {
    f->root = fws_yaml_parse(text, len, f->path, &api->arena, &api->diags, NULL);
    /* parse errors were added straight to diags: keep the owner list in step */
    while (ld->owners.n < api->diags.n) fws_ld_push(ld, &ld->owners, NULL);
    free(text);
  }
  if (f->root && f->root->kind != FWS_NODE_MAP) {
    fws_ld_error(ld, f->root->pos, "a definition file must be a mapping of keys (types, channel, ...)");
    f->root = NULL;
  }
  return f;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The folders being walked, to notice a symbolic link that leads back into one of them. */
typedef struct walk_dir {
  dev_t dev;
  ino_t ino;
  const struct walk_dir *up;
} walk_dir;

/* Every *.yml below dir, as paths relative to root, sorted so results do not depend on readdir. */
static void walk(fws_loader *ld, const char *root, const char *rel, fws_vec *out, int depth, const walk_dir *up) {
  if (depth > 32) {
    fws_ld_warn(ld, (fws_pos){fws_arena_printf(&ld->api->arena, "%s/%s", root, rel), 0, 0},
                "skipped: folders nested more than 32 deep");
    return;
  }
  char *dirpath = rel[0] ? fws_arena_printf(&ld->api->arena, "%s/%s", root, rel)
                         : fws_ld_strndup(ld, root, strlen(root));
  if (!dirpath) longjmp(ld->oom, 1);
  struct stat self;
  if (stat(dirpath, &self) != 0) {
    fws_ld_error(ld, (fws_pos){dirpath, 0, 0}, "cannot read the folder: %s", strerror(errno));
    return;
  }
  for (const walk_dir *w = up; w; w = w->up)
    if (w->dev == self.st_dev && w->ino == self.st_ino) {
      fws_ld_warn(ld, (fws_pos){dirpath, 0, 0}, "skipped: a symbolic link back into a folder above it");
      return;
    }
  walk_dir here = {self.st_dev, self.st_ino, up};
  DIR *d = opendir(dirpath);
  if (!d) {
    fws_ld_error(ld, (fws_pos){dirpath, 0, 0}, "cannot read the folder: %s", strerror(errno));
    return;
  }
  fws_vec names = {0};
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    fws_ld_push(ld, &names, fws_ld_strndup(ld, e->d_name, strlen(e->d_name)));
    if (names.n > ld->opts.max_files) break;
  }
  closedir(d);
  if (names.n) qsort(names.items, names.n, sizeof(void *), cmp_names);
  for (size_t i = 0; i < names.n; i++) {
    const char *name = names.items[i];
    char *childrel = rel[0] ? fws_arena_printf(&ld->api->arena, "%s/%s", rel, name)
                            : fws_ld_strndup(ld, name, strlen(name));
    char *childpath = fws_arena_printf(&ld->api->arena, "%s/%s", root, childrel);
    if (!childrel || !childpath) longjmp(ld->oom, 1);
    struct stat st;
    if (stat(childpath, &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      walk(ld, root, childrel, out, depth + 1, &here);
    else if (S_ISREG(st.st_mode) && (ends_with(name, ".yml") || ends_with(name, ".yaml")))
      fws_ld_push(ld, out, childrel);
    if (out->n > ld->opts.max_files) return;
  }
}

/* Joins a relative import to the folder of `from`, resolving "." and "..". NULL if it escapes. */
static char *join_import(fws_loader *ld, const char *from_rel, const char *target) {
  size_t cap = strlen(from_rel) + strlen(target) + 2;
  char *buf = fws_ld_alloc(ld, cap);
  const char *slash = strrchr(from_rel, '/');
  size_t n = slash ? (size_t)(slash - from_rel) : 0;
  memcpy(buf, from_rel, n);
  buf[n] = '\0';
  const char *p = target;
  while (*p) {
    const char *q = strchr(p, '/');
    size_t sl = q ? (size_t)(q - p) : strlen(p);
    if (sl == 0 || (sl == 1 && p[0] == '.')) {
      /* skip */
    } else if (sl == 2 && p[0] == '.' && p[1] == '.') {
      char *up = strrchr(buf, '/');
      if (up) *up = '\0';
      else if (buf[0]) buf[0] = '\0';
      else return NULL;
    } else {
      size_t bl = strlen(buf);
      if (bl) buf[bl++] = '/';
      memcpy(buf + bl, p, sl);
      buf[bl + sl] = '\0';
    }
    p += sl;
    if (*p == '/') p++;
  }
  return buf;
}

static void read_imports(fws_loader *ld, fws_file *f, fws_vec *files, const char *root, int load_missing) {
  const fws_node *imp = fws_ld_section(f->root, "imports");
  if (!imp || !fws_ld_expect_map(ld, imp, "'imports'")) return;
  f->imports = fws_ld_alloc(ld, (imp->n ? imp->n : 1) * sizeof *f->imports);
  for (size_t i = 0; i < imp->n; i++) {
    const fws_node *k = imp->keys[i], *v = imp->values[i];
    if (!fws_ld_expect_scalar(ld, v, "an import")) continue;
    char *rel = join_import(ld, f->rel, v->str);
    fws_file *target = NULL;
    if (!rel || !(ends_with(rel, ".yml") || ends_with(rel, ".yaml"))) {
      fws_ld_error(ld, v->pos, "import '%s' must name a .yml file inside the definition folder", v->str);
      rel = NULL;
    }
    for (size_t j = 0; rel && j < files->n && !target; j++)
      if (strcmp(((fws_file *)files->items[j])->rel, rel) == 0) target = files->items[j];
    if (rel && !target && load_missing) {
      char *path = fws_arena_printf(&ld->api->arena, "%s/%s", root, rel);
      if (!path) longjmp(ld->oom, 1);
      struct stat st;
      if (stat(path, &st) == 0) target = add_file(ld, files, root, rel, v->pos);
    }
    if (rel && !target) fws_ld_error(ld, v->pos, "import '%s': no file %s in the definition", k->str, rel);
    else if (target && target->is_api) fws_ld_error(ld, v->pos, "import '%s': api.yml cannot be imported", k->str);
    if (!target || target->is_api) target = NULL; /* kept, so its references are not reported again */
    f->imports[f->nimports].alias = k->str;
    f->imports[f->nimports].file = target;
    f->imports[f->nimports].pos = k->pos;
    f->nimports++;
  }
}

static const char *const file_keys[] = {"docs", "imports", "types", "service", "errors", "webhooks", "channel", NULL};

static void read_definition_file(fws_loader *ld, fws_file *f) {
  fws_ld_known_keys(ld, f->root, f->rel, file_keys);
  fws_ld_declarations(ld, f);
  const fws_node *ch = fws_node_get(f->root, "channel");
  if (ch && fws_ld_expect_map(ld, ch, "'channel'")) fws_ld_channel(ld, f, ch);
}

static char *dir_of(fws_loader *ld, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return fws_ld_strndup(ld, ".", 1);
  if (slash == path) return fws_ld_strndup(ld, "/", 1);
  return fws_ld_strndup(ld, path, (size_t)(slash - path));
}

static int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* One level up from a folder named as the user named it: its last component dropped when that
** goes up ("a/b" -> "a", "a" -> "."), else ".." appended (".." -> "../..", "/x/.." stays lexical). */
static char *folder_up(fws_loader *ld, const char *dir) {
  const char *slash = strrchr(dir, '/');
  const char *last = slash ? slash + 1 : dir;
  if (strcmp(dir, ".") == 0) return fws_ld_strndup(ld, "..", 2);
  if (strcmp(last, "..") == 0 || strcmp(last, ".") == 0 || !last[0]) {
    char *up = fws_arena_printf(&ld->api->arena, "%s/..", dir);
    if (!up) longjmp(ld->oom, 1);
    return up;
  }
  if (!slash) return fws_ld_strndup(ld, ".", 1);
  if (slash == dir) return fws_ld_strndup(ld, "/", 1);
  return fws_ld_strndup(ld, dir, (size_t)(slash - dir));
}

/* For one channel file: the definition root is the nearest folder above it holding api.yml (as
** the Fern CLI looks upward for its workspace), so `root.X` imports and environments work; else
** the file's own folder. Paths in messages keep the user's spelling: "chat.yml" whose api.yml
** is one level up is "../voice/chat.yml". */
static void single_file_root(fws_loader *ld, const char *path, const char **root, const char **rel) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  char *dir = dir_of(ld, path);
  char real[4096];
  if (realpath(dir, real)) {
    size_t full = strlen(real), len = full; /* real[0..len) is the folder reached so far */
    char *probe = dir;
    for (int level = 0; level <= 64; level++) {
      char *api = fws_arena_printf(&ld->api->arena, "%s/api.yml", probe);
      if (!api) longjmp(ld->oom, 1);
      if (file_exists(api)) {
        /* the folders climbed out of, then the file */
        const char *below = len < full ? real + len + (real[len] == '/') : "";
        char *r = below[0] ? fws_arena_printf(&ld->api->arena, "%s/%s", below, base)
                           : fws_ld_strndup(ld, base, strlen(base));
        if (!r) longjmp(ld->oom, 1);
        *root = probe;
        *rel = r;
        return;
      }
      if (len <= 1) break; /* at / */
      while (len > 1 && real[len - 1] != '/') len--;
      if (len > 1) len--; /* drop the slash too, except the root's */
      probe = folder_up(ld, probe);
    }
  }
  *root = dir;
  *rel = base;
}

static void trim_diags(fws_api *api) {
  /* keep every warning (bounded at add time) and the first FWS_MAX_ERRORS errors by place */
  size_t kept = 0, errors = 0;
  for (size_t i = 0; i < api->diags.n; i++) {
    fws_diag *d = &api->diags.items[i];
    if (d->severity == FWS_ERROR && ++errors > FWS_MAX_ERRORS) {
      api->diags.dropped++;
      continue;
    }
    api->diags.items[kept++] = *d;
  }
  api->diags.n = kept;
}

static void load(fws_loader *ld, const char *path) {
  fws_api *api = ld->api;
  struct stat st;
  fws_pos none = {path, 0, 0};
  if (fws_ld_asyncapi(ld, path)) return;
  if (stat(path, &st) != 0) {
    fws_ld_error(ld, none, "cannot open the definition: %s", strerror(errno));
    return;
  }
  fws_vec files = {0};
  const char *root;
  size_t first_def = 0;
  if (S_ISDIR(st.st_mode)) {
    size_t pl = strlen(path);
    while (pl > 1 && path[pl - 1] == '/') pl--;
    root = fws_ld_strndup(ld, path, pl);
    fws_vec rels = {0};
    walk(ld, root, "", &rels, 0, NULL);
    if (rels.n > ld->opts.max_files) {
      fws_ld_error(ld, none, "too many files (limit %zu)", ld->opts.max_files);
      return;
    }
    for (size_t i = 0; i < rels.n; i++) add_file(ld, &files, root, rels.items[i], (fws_pos){0, 0, 0});
    if (!rels.n) fws_ld_error(ld, none, "no .yml files in the folder");
    api->root = root;
    api->nfiles = files.n;
    api->files = (fws_file **)files.items;
    for (size_t i = 0; i < files.n; i++) {
      fws_file *f = files.items[i];
      if (f->root) read_imports(ld, f, &files, root, 0);
    }
  } else {
    const char *rel;
    single_file_root(ld, path, &root, &rel);
    api->root = root;
    fws_file *main = add_file(ld, &files, root, rel, (fws_pos){0, 0, 0});
    char *apipath = fws_arena_printf(&api->arena, "%s/api.yml", root);
    if (!apipath) longjmp(ld->oom, 1);
    if (strcmp(rel, "api.yml") != 0 && file_exists(apipath)) add_file(ld, &files, root, "api.yml", none);
    /* imports pull in their files, transitively */
    for (size_t i = 0; i < files.n; i++) {
      fws_file *f = files.items[i];
      if (f->root) read_imports(ld, f, &files, root, 1);
    }
    (void)main;
  }
  api->nfiles = files.n;
  api->files = (fws_file **)files.items;
  (void)first_def;

  fws_file *apiyml = find_file(api, "api.yml");
  if (apiyml && apiyml->root) fws_ld_api_yml(ld, apiyml);
  if (!api->name && !S_ISDIR(st.st_mode)) {
    /* one file and no api.yml: name it after the file */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    api->name = fws_ld_strndup(ld, base, dot ? (size_t)(dot - base) : strlen(base));
  }
  if (!api->name) {
    /* no api.yml: name it after the folder ("definition" folders after their parent) */
    const char *r = api->root;
    char *copy = fws_ld_strndup(ld, r, strlen(r));
    char *base = strrchr(copy, '/');
    if (base && strcmp(base + 1, "definition") == 0 && base != copy) {
      *base = '\0';
      base = strrchr(copy, '/');
    }
    api->name = base ? base + 1 : copy;
    if (strcmp(api->name, ".") == 0 || !api->name[0]) api->name = "api";
  }
  for (size_t i = 0; i < api->nfiles; i++) {
    fws_file *f = api->files[i];
    if (f->root && !f->is_api) read_definition_file(ld, f);
  }
  fws_ld_resolve(ld);
}

static fws_api *new_api(void) {
  fws_api *api = calloc(1, sizeof *api);
  if (!api) return NULL;
  fws_arena_init(&api->arena);
  fws_diags_init(&api->diags, &api->arena);
  api->diags.max_errors = (size_t)-1; /* trimmed at the end, after REST errors become warnings */
  return api;
}

/* Separate from fws_load so that nothing the longjmp could clobber lives in this frame. */
static int guarded_load(fws_loader *ld, const char *path) {
  if (setjmp(ld->oom)) return -1;
  load(ld, path);
  return 0;
}

fws_api *fws_load(const char *path, const fws_load_opts *opts) {
  fws_loader *ld = calloc(1, sizeof *ld);
  if (!ld) return NULL;
  ld->api = new_api();
  if (!ld->api) {
    free(ld);
    return NULL;
  }
  if (opts) ld->opts = *opts;
  if (!ld->opts.max_file_size) ld->opts.max_file_size = 64u << 20;
  if (!ld->opts.max_files) ld->opts.max_files = 10000;
  fws_api *api = ld->api;
  int rc = guarded_load(ld, path);
  free(ld);
  if (rc) {
    fws_api_free(api);
    return NULL;
  }
  fws_diags_sort(&api->diags);
  trim_diags(api);
  return api;
}

void fws_api_free(fws_api *api) {
  if (!api) return;
  fws_diags_free(&api->diags);
  fws_arena_free(&api->arena);
  free(api);
}
