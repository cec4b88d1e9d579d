/* AsyncAPI documents: finding one, reading it and the sibling files its $refs name, and resolving
** $refs (JSON Pointers) with the place of every one that fails. Then the reading order. */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700 /* realpath */
#include <ctype.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "defn/fws_asyncapi.h"

enum { MAX_REF_HOPS = 32 };

/* ---- tables ---- */

static size_t map_hash(const fws_aa_map *m, const void *key) {
  uint64_t h;
  if (m->strings) {
    h = 1469598103934665603u; /* FNV-1a */
    for (const unsigned char *s = key; *s; s++) h = (h ^ *s) * 1099511628211u;
  } else {
    h = (uint64_t)(uintptr_t)key * 0x9E3779B97F4A7C15u;
  }
  return (size_t)(h ^ (h >> 31));
}

static int map_eq(const fws_aa_map *m, const void *a, const void *b) {
  return m->strings ? strcmp(a, b) == 0 : a == b;
}

void *fws_aa_map_get(const fws_aa_map *m, const void *key) {
  if (!m->keys) return NULL;
  for (size_t i = map_hash(m, key) & m->mask;; i = (i + 1) & m->mask) {
    if (!m->keys[i]) return NULL;
    if (map_eq(m, m->keys[i], key)) return m->vals[i];
  }
}

static void map_insert(fws_aa_map *m, const void *key, void *val) {
  for (size_t i = map_hash(m, key) & m->mask;; i = (i + 1) & m->mask) {
    if (!m->keys[i]) {
      m->keys[i] = key;
      m->vals[i] = val;
      m->n++;
      return;
    }
    if (map_eq(m, m->keys[i], key)) {
      m->vals[i] = val;
      return;
    }
  }
}

void fws_aa_map_put(fws_aa *a, fws_aa_map *m, const void *key, void *val) {
  if (!m->keys || (m->n + 1) * 2 > m->mask + 1) {
    /* at most half full; the old arrays stay in the arena (they are small next to the document) */
    size_t cap = m->keys ? (m->mask + 1) * 2 : 64;
    fws_aa_map old = *m;
    m->keys = fws_ld_alloc(a->ld, cap * sizeof *m->keys);
    m->vals = fws_ld_alloc(a->ld, cap * sizeof *m->vals);
    m->mask = cap - 1;
    m->n = 0;
    for (size_t i = 0; old.keys && i <= old.mask; i++)
      if (old.keys[i]) map_insert(m, old.keys[i], old.vals[i]);
  }
  map_insert(m, key, val);
}

/* ---- small helpers ---- */

const char *fws_aa_scalar(const fws_node *n) {
  return n && n->kind == FWS_NODE_SCALAR && !(n->plain && n->stype == FWS_SCALAR_NULL) ? n->str : NULL;
}

const char *fws_aa_str(fws_aa *a, const fws_node *map, const char *key) {
  const fws_node *n = fws_node_get(map, key);
  if (!n) return NULL;
  if (n->kind != FWS_NODE_SCALAR) {
    fws_ld_error(a->ld, n->pos, "'%s' must be a string", key);
    return NULL;
  }
  return fws_aa_scalar(n);
}

const char *fws_aa_key_in(const fws_node *parent, const fws_node *child) {
  if (!parent || parent->kind != FWS_NODE_MAP) return NULL;
  for (size_t i = 0; i < parent->n; i++)
    if (parent->values[i] == child) return parent->keys[i]->str;
  return NULL;
}


/* A top-level `asyncapi` key: a line that starts with it (YAML), or "asyncapi" followed by ':' in
** a document that starts with '{' (JSON). The parse confirms it. */
static int sniff(const char *text, size_t len) {
  size_t i = 0;
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3; /* a UTF-8 byte order mark */
  while (i < len && isspace((unsigned char)text[i])) i++;
  if (i < len && text[i] == '{') {
    for (size_t at = i; at + 10 <= len; at++) {
      if (memcmp(text + at, "\"asyncapi\"", 10) != 0) continue;
      size_t j = at + 10;
      while (j < len && isspace((unsigned char)text[j])) j++;
      if (j < len && text[j] == ':') return 1;
    }
    return 0;
  }
  for (size_t at = i; at < len;) {
    const char *line = text + at;
    const char *nl = memchr(line, '\n', len - at);
    size_t ll = nl ? (size_t)(nl - line) : len - at;
    if ((ll >= 9 && memcmp(line, "asyncapi:", 9) == 0) || (ll >= 11 && memcmp(line, "\"asyncapi\":", 11) == 0) ||
        (ll >= 11 && memcmp(line, "'asyncapi':", 11) == 0))
      return 1;
    at += ll + 1;
  }
  return 0;
}

static int hex4(const char *s, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int c = (unsigned char)s[i];
    int d = isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
    if (d < 0) return 0;
    v = v * 16 + (unsigned)d;
  }
  *out = v;
  return 1;
}

/* JSON read as YAML: libyaml refuses the UTF-16 surrogate pairs JSON writes for characters beyond
** the BMP ("\ud83d\ude00"); YAML writes them "\U0001F600". Shortens the text in place (a column
** after such a pair on the same line is off by 2 per pair). */
static size_t json_surrogates(char *text, size_t len) {
  size_t o = 0;
  int in = 0;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (!in) {
      in = c == '"';
      text[o++] = c;
      continue;
    }
    if (c == '"') in = 0;
    unsigned hi, lo;
    if (c == '\\' && i + 11 < len && text[i + 1] == 'u' && hex4(text + i + 2, &hi) && hi >= 0xD800 && hi < 0xDC00 &&
        text[i + 6] == '\\' && text[i + 7] == 'u' && hex4(text + i + 8, &lo) && lo >= 0xDC00 && lo < 0xE000) {
      char buf[11];
      snprintf(buf, sizeof buf, "\\U%08X", 0x10000u + ((hi - 0xD800u) << 10) + (lo - 0xDC00u));
      memcpy(text + o, buf, 10);
      o += 10;
      i += 11;
      continue;
    }
    text[o++] = c;
    if (c == '\\' && i + 1 < len) text[o++] = text[++i];
  }
  return o;
}

static int has_suffix(const char *s, const char *suffix) {
  size_t ls = strlen(s), lx = strlen(suffix);
  return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static const char *dir_part(fws_loader *ld, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return ".";
  if (slash == path) return "/";
  return fws_ld_strndup(ld, path, (size_t)(slash - path));
}

static fws_aa_doc *open_doc(fws_aa *a, const char *path, fws_pos from, const char *shown) {
  fws_loader *ld = a->ld;
  fws_api *api = ld->api;
  if (a->docs.n >= ld->opts.max_files) {
    fws_ld_error(ld, from, "too many files (limit %zu)", ld->opts.max_files);
    return NULL;
  }
  size_t len;
  char *text = fws_ld_read_file(ld, path, shown, &len, from.file ? from : (fws_pos){path, 0, 0});
  if (!text) return NULL;
  size_t lead = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  while (lead < len && isspace((unsigned char)text[lead])) lead++;
  if (lead < len && text[lead] == '{') len = json_surrogates(text, len);
  fws_aa_doc *d = fws_ld_alloc(ld, sizeof *d);
  d->path = fws_ld_strndup(ld, path, strlen(path));
  d->dir = dir_part(ld, d->path);
  d->root = fws_yaml_parse(text, len, d->path, &api->arena, &api->diags, NULL);
  free(text);
  while (ld->owners.n < api->diags.n) fws_ld_push(ld, &ld->owners, NULL);
  fws_file *f = fws_ld_alloc(ld, sizeof *f);
  const char *base = strrchr(d->path, '/');
  f->path = d->path;
  f->rel = base ? base + 1 : d->path;
  f->package = "";
  f->root = (fws_node *)d->root;
  d->file = f;
  if (d->root && d->root->kind != FWS_NODE_MAP) {
    fws_ld_error(ld, d->root->pos, "an AsyncAPI document must be a mapping of keys (asyncapi, info, channels, ...)");
    d->root = NULL;
  }
  fws_ld_push(ld, &a->docs, d);
  return d;
}

/* ---- $ref ---- */

/* One JSON Pointer token: %XX (it sits in a URI fragment), then ~1 and ~0. */
static char *pointer_token(fws_loader *ld, const char *s, size_t n) {
  char *out = fws_ld_alloc(ld, n + 1);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
      char hex[3] = {s[i + 1], s[i + 2], 0};
      c = (char)strtol(hex, NULL, 16);
      i += 2;
    } else if (c == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
      c = s[i + 1] == '0' ? '~' : '/';
      i++;
    }
    out[o++] = c;
  }
  out[o] = '\0';
  return out;
}

static const fws_node *get_len(const fws_node *map, const char *key, size_t kl) {
  for (size_t i = 0; i < map->n; i++)
    if (map->keys[i]->len == kl && memcmp(map->keys[i]->str, key, kl) == 0) return map->values[i];
  return NULL;
}

static const fws_node *walk_pointer(fws_aa *a, const fws_node *root, const char *ptr, fws_pos where,
                                    const char *ref) {
  fws_loader *ld = a->ld;
  const fws_node *n = root;
  const char *p = ptr;
  while (*p == '/') {
    const char *seg = p + 1;
    const char *end = strchr(seg, '/');
    if (!end) end = seg + strlen(seg);
    if (!n) return NULL;
    if (n->kind == FWS_NODE_MAP) {
      const char *tok = pointer_token(ld, seg, (size_t)(end - seg));
      const fws_node *next = get_len(n, tok, strlen(tok));
      /* a key with an unescaped '/' (Deepgram's export writes #/components/messages/a/b for the
      ** key "a/b"): the longest run of segments that names a key */
      if (!next) {
        for (const char *e = end; *e == '/' && !next;) {
          const char *e2 = strchr(e + 1, '/');
          if (!e2) e2 = e + strlen(e);
          const char *joined = pointer_token(ld, seg, (size_t)(e2 - seg));
          if ((next = get_len(n, joined, strlen(joined)))) end = e2;
          e = e2;
        }
      }
      if (!next) {
        fws_ld_error(ld, where, "$ref '%s': no '%s' at '%.*s'", ref, tok, (int)(seg - 1 - ptr), ptr);
        return NULL;
      }
      n = next;
    } else if (n->kind == FWS_NODE_SEQ) {
      char *stop;
      const char *tok = pointer_token(ld, seg, (size_t)(end - seg));
      unsigned long idx = strtoul(tok, &stop, 10);
      if (!tok[0] || *stop || idx >= n->n) {
        fws_ld_error(ld, where, "$ref '%s': '%s' is not an index of the list at '%.*s'", ref, tok,
                     (int)(seg - 1 - ptr), ptr);
        return NULL;
      }
      n = n->values[idx];
    } else {
      fws_ld_error(ld, where, "$ref '%s': '%.*s' is a plain value, it has no '%.*s'", ref, (int)(seg - 1 - ptr), ptr,
                   (int)(end - seg), seg);
      return NULL;
    }
    p = end;
  }
  if (*p) {
    fws_ld_error(ld, where, "$ref '%s': the part after '#' must be a JSON Pointer ('#/components/...')", ref);
    return NULL;
  }
  return n;
}

static fws_aa_at resolve(fws_aa *a, const fws_aa_doc *from, const char *ref, fws_pos where);

static fws_aa_doc *sibling(fws_aa *a, const fws_aa_doc *from, const char *file, fws_pos where, const char *ref) {
  fws_loader *ld = a->ld;
  if (strstr(file, "://")) {
    fws_ld_error(ld, where, "$ref '%s': remote documents are not read (only this one and files beside it)", ref);
    return NULL;
  }
  char *path = file[0] == '/' ? fws_ld_strndup(ld, file, strlen(file))
                              : fws_arena_printf(&ld->api->arena, "%s/%s", from->dir, file);
  if (!path) longjmp(ld->oom, 1);
  char real[4096];
  const char *key = realpath(path, real) ? real : path;
  for (size_t i = 0; i < a->docs.n; i++) {
    fws_aa_doc *d = a->docs.items[i];
    char r2[4096];
    const char *k2 = realpath(d->path, r2) ? r2 : d->path;
    if (strcmp(k2, key) == 0) return d;
  }
  return open_doc(a, path, where, path);
}

fws_aa_at fws_aa_resolve(fws_aa *a, const fws_aa_doc *from, const char *ref, fws_pos where) {
  fws_aa_at none = {NULL, NULL};
  /* a $ref read again (a payload is looked at more than once) is reported once */
  if (fws_aa_map_get(&a->failed, ref)) return none;
  size_t errors = a->ld->api->diags.nerrors;
  fws_aa_at at = resolve(a, from, ref, where);
  if (!at.node && a->ld->api->diags.nerrors > errors) fws_aa_map_put(a, &a->failed, ref, (void *)ref);
  return at;
}

static fws_aa_at resolve(fws_aa *a, const fws_aa_doc *from, const char *ref, fws_pos where) {
  fws_aa_at none = {NULL, NULL};
  const char *hash = strchr(ref, '#');
  const fws_aa_doc *doc = from;
  if (hash != ref) {
    char *file = fws_ld_strndup(a->ld, ref, hash ? (size_t)(hash - ref) : strlen(ref));
    doc = sibling(a, from, file, where, ref);
    if (!doc) return none;
  }
  if (!doc->root) return none; /* its own errors are reported */
  const fws_node *n = walk_pointer(a, doc->root, hash ? hash + 1 : "", where, ref);
  return n ? (fws_aa_at){n, doc} : none;
}

fws_aa_at fws_aa_deref(fws_aa *a, fws_aa_at at) {
  for (int hops = 0; at.node; hops++) {
    const fws_node *r = fws_node_get(at.node, "$ref");
    if (!r) return at;
    if (hops >= MAX_REF_HOPS) {
      fws_ld_error(a->ld, r->pos, "$ref: a chain of more than %d references (a cycle?)", MAX_REF_HOPS);
      return (fws_aa_at){NULL, NULL};
    }
    if (r->kind != FWS_NODE_SCALAR) {
      fws_ld_error(a->ld, r->pos, "$ref must be a string");
      return (fws_aa_at){NULL, NULL};
    }
    at = fws_aa_resolve(a, at.doc, r->str, r->pos);
  }
  return at;
}

/* ---- the document ---- */

static const char *const top_keys[] = {"asyncapi", "id", "info", "servers", "defaultContentType", "channels",
                                       "operations", "components", "tags", "externalDocs", NULL};

static void known_top_keys(fws_aa *a, const fws_node *root) {
  for (size_t i = 0; i < root->n; i++) {
    const fws_node *k = root->keys[i];
    int known = strncmp(k->str, "x-", 2) == 0;
    for (const char *const *p = top_keys; *p && !known; p++) known = strcmp(k->str, *p) == 0;
    if (!known) fws_ld_warn(a->ld, k->pos, "unknown key '%s' in an AsyncAPI document (ignored)", k->str);
  }
}

static void read_document(fws_aa *a) {
  fws_loader *ld = a->ld;
  fws_api *api = ld->api;
  const fws_node *root = a->main->root;
  const fws_node *v = fws_node_get(root, "asyncapi");
  const char *ver = fws_aa_scalar(v);
  if (!ver || !((ver[0] == '2' || ver[0] == '3') && ver[1] == '.')) {
    fws_ld_error(ld, v ? v->pos : root->pos, "unsupported AsyncAPI version '%s': fernws reads 2.x (2.6) and 3.0",
                 ver ? ver : "");
    return;
  }
  a->version = ver[0] - '0';
  known_top_keys(a, root);
  const fws_node *info = fws_node_get(root, "info");
  if (info && fws_ld_expect_map(ld, info, "'info'")) {
    api->display_name = fws_aa_str(a, info, "title");
    api->docs = fws_aa_str(a, info, "description");
  }
  fws_aa_security_schemes(a);
  fws_aa_servers(a);
  fws_aa_component_schemas(a);
  fws_aa_channels(a);
  fws_aa_finish_servers(a);
}

/* The AsyncAPI document of a folder: its only one (a folder with api.yml is a Fern Definition). */
static const char *document_in(fws_aa *a, const char *dir) {
  fws_loader *ld = a->ld;
  DIR *d = opendir(dir);
  if (!d) return NULL;
  struct dirent *e;
  const char *found = NULL;
  int several = 0, api_yml = 0;
  size_t seen = 0;
  while ((e = readdir(d)) && seen++ < ld->opts.max_files) {
    const char *n = e->d_name;
    if (n[0] == '.') continue;
    if (strcmp(n, "api.yml") == 0) api_yml = 1;
    if (!(has_suffix(n, ".yml") || has_suffix(n, ".yaml") || has_suffix(n, ".json"))) continue;
    char *path = fws_arena_printf(&ld->api->arena, "%s/%s", dir, n);
    if (!path) {
      closedir(d);
      longjmp(ld->oom, 1);
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > ld->opts.max_file_size) continue;
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    /* the key is near the top of every real document */
    char head[4096];
    size_t len = fread(head, 1, sizeof head, f);
    fclose(f);
    if (!sniff(head, len)) continue;
    if (found && (!several || strcmp(path, found) < 0)) several = 1;
    if (!found || strcmp(path, found) < 0) found = path;
  }
  closedir(d);
  if (api_yml) return NULL;
  if (found && several)
    fws_ld_error(ld, (fws_pos){dir, 0, 0}, "the folder holds several AsyncAPI documents: load one of them (%s ...)",
                 found);
  return found;
}

int fws_ld_asyncapi(fws_loader *ld, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return 0;
  fws_aa *a = fws_ld_alloc(ld, sizeof *a);
  a->ld = ld;
  a->names.strings = 1;
  const char *file = path;
  if (S_ISDIR(st.st_mode)) {
    size_t before = ld->api->diags.nerrors;
    file = document_in(a, path);
    if (!file) return 0;
    if (ld->api->diags.nerrors > before) return 1;
  } else {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char head[4096];
    size_t len = fread(head, 1, sizeof head, f);
    fclose(f);
    if (!sniff(head, len)) return 0;
  }
  a->main = open_doc(a, file, (fws_pos){0, 0, 0}, "the file");
  fws_api *api = ld->api;
  api->root = a->main ? a->main->dir : path;
  if (a->main && a->main->root) read_document(a);
  /* every document read is a file of the api, the main one first */
  api->nfiles = a->docs.n;
  api->files = fws_ld_alloc(ld, (a->docs.n + 1) * sizeof *api->files);
  for (size_t i = 0; i < a->docs.n; i++) api->files[i] = ((fws_aa_doc *)a->docs.items[i])->file;
  if (a->main && a->main->file) {
    a->main->file->types = (fws_type **)a->decl_list.items;
    a->main->file->ntypes = a->decl_list.n;
  }
  if (!api->name) api->name = api->display_name;
  if (!api->name) {
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    const char *dot = strrchr(base, '.');
    api->name = fws_ld_strndup(ld, base, dot ? (size_t)(dot - base) : strlen(base));
  }
  fws_ld_resolve(ld);
  return 1;
}
