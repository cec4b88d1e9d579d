/* Channels: 2.6 channel keys with publish/subscribe, 3.0 addresses with operations; parameters
** (path, and 3.0 `location` into headers and query), bindings.ws headers and query, messages with
** their origin, examples. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "defn/fws_asyncapi.h"

/* Where each message of a channel came from: for examples, which name it by that. */
typedef struct msg_src {
  const char *key;        /* 2.6: the components/messages key; 3.0: the channel's messages key */
  const fws_node *node;   /* the message object */
} msg_src;

typedef struct chan {
  fws_aa *a;
  fws_channel *ch;
  const fws_aa_doc *doc;
  const fws_node *node;   /* the channel object */
  fws_vec msgs;           /* fws_message* */
  fws_vec srcs;           /* msg_src*, parallel */
} chan;

static int truthy(const fws_node *n) {
  int b;
  return n && fws_scalar_bool(n, &b) && b;
}

static int identifier(const char *s) {
  if (!s || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.')) return 0;
  return 1;
}

/* Fern's channel name from a 2.6 key: "/v1/text-to-speech/{voice_id}/stream-input" ->
** "v1TextToSpeechVoiceIdStreamInput" */
static const char *camel(fws_aa *a, const char *key) {
  char *out = fws_ld_alloc(a->ld, strlen(key) + 1);
  size_t o = 0;
  int up = 0;
  for (const char *p = key; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (!isalnum(c)) {
      up = o > 0;
      continue;
    }
    out[o] = (char)(up ? toupper(c) : o == 0 ? tolower(c) : c);
    o++;
    up = 0;
  }
  out[o] = '\0';
  return o ? out : "channel";
}

/* x-fern-sdk-group-name: a name or a list of them -> "listen.v1" */
static const char *group_name(fws_aa *a, const fws_node *g) {
  if (!g) return NULL;
  if (fws_aa_scalar(g)) return g->str;
  if (g->kind != FWS_NODE_SEQ || !g->n) {
    fws_ld_error(a->ld, g->pos, "x-fern-sdk-group-name must be a name or a list of names");
    return NULL;
  }
  size_t len = 0;
  for (size_t i = 0; i < g->n; i++) {
    if (!fws_aa_scalar(g->values[i])) {
      fws_ld_error(a->ld, g->values[i]->pos, "x-fern-sdk-group-name must list names");
      return NULL;
    }
    len += g->values[i]->len + 1;
  }
  char *out = fws_ld_alloc(a->ld, len + 1);
  size_t o = 0;
  for (size_t i = 0; i < g->n; i++) {
    if (i) out[o++] = '.';
    memcpy(out + o, g->values[i]->str, g->values[i]->len);
    o += g->values[i]->len;
  }
  out[o] = '\0';
  return out;
}

static const char *upper_first(fws_aa *a, const char *s) {
  char *out = fws_ld_strndup(a->ld, s, strlen(s));
  if (out[0]) out[0] = (char)toupper((unsigned char)out[0]);
  return out;
}

/* The name a type made for the channel's parameter gets: "ChatRoomLang", as Fern names them. */
static const char *param_hint(fws_aa *a, const fws_channel *ch, const char *param) {
  char *s = fws_arena_printf(&a->ld->api->arena, "%s_%s", ch->name, param);
  if (!s) longjmp(a->ld->oom, 1);
  char *out = fws_ld_alloc(a->ld, strlen(s) + 1);
  size_t o = 0;
  int up = 1;
  for (const char *p = s; *p; p++) {
    if (!isalnum((unsigned char)*p)) {
      up = 1;
      continue;
    }
    out[o++] = (char)(up ? toupper((unsigned char)*p) : *p);
    up = 0;
  }
  out[o] = '\0';
  return out;
}

static void push_param(fws_aa *a, fws_param **list, size_t *n, const fws_param *p) {
  fws_param *nl = fws_ld_alloc(a->ld, (*n + 1) * sizeof *nl);
  if (*n) memcpy(nl, *list, *n * sizeof *nl);
  nl[(*n)++] = *p;
  *list = nl;
}

static fws_param *find_param(fws_param *ps, size_t n, const char *name, int caseless) {
  for (size_t i = 0; i < n; i++)
    if (caseless ? strcasecmp(ps[i].name, name) == 0 : strcmp(ps[i].name, name) == 0) return &ps[i];
  return NULL;
}

/* bindings.ws.query / .headers: a JSON Schema object whose properties are the parameters. */
static void binding_params(chan *c, const fws_node *schema, const char *what, fws_param **list, size_t *n) {
  fws_aa *a = c->a;
  fws_aa_at at = fws_aa_deref(a, (fws_aa_at){schema, c->doc});
  if (!at.node || !fws_ld_expect_map(a->ld, at.node, what)) return;
  const char *type = fws_aa_scalar(fws_node_get(at.node, "type"));
  if (type && strcmp(type, "object") != 0)
    fws_ld_error(a->ld, fws_node_get(at.node, "type")->pos, "%s must be a schema of type object", what);
  const fws_node *props = fws_node_get(at.node, "properties");
  const fws_node *req = fws_node_get(at.node, "required");
  if (!props || !fws_ld_expect_map(a->ld, props, "'properties'")) return;
  for (size_t i = 0; i < props->n; i++) {
    const fws_node *k = props->keys[i], *v = props->values[i];
    if (truthy(fws_node_get(v, "x-fern-ignore"))) continue;
    fws_param p = {0};
    p.name = k->str;
    p.pos = k->pos;
    for (size_t j = 0; req && req->kind == FWS_NODE_SEQ && j < req->n && !p.required; j++)
      p.required = fws_node_is(req->values[j], k->str);
    fws_type *t = fws_aa_schema(a, (fws_aa_at){v, at.doc}, NULL);
    if (t->kind == FWS_K_ENUM || t->kind == FWS_K_UNDISCRIMINATED_UNION) t->name = param_hint(a, c->ch, k->str);
    p.type = t;
    if (!p.required) {
      fws_type *o = fws_ld_alloc(a->ld, sizeof *o);
      o->kind = FWS_K_OPTIONAL;
      o->pos = t->pos;
      o->index = -1;
      o->u.elem = t;
      p.type = o;
    }
    if (v->kind == FWS_NODE_MAP) {
      p.docs = fws_aa_scalar(fws_node_get(v, "description"));
      p.default_value = fws_node_get(v, "default");
      p.deprecated = truthy(fws_node_get(v, "deprecated"));
      p.sdk_name = fws_aa_scalar(fws_node_get(v, "x-fern-parameter-name"));
    }
    if (find_param(*list, *n, p.name, list == &c->ch->headers)) {
      fws_ld_warn(a->ld, k->pos, "%s '%s' is declared twice for channel %s (the first is kept)", what, p.name,
                  c->ch->name);
      continue;
    }
    push_param(a, list, n, &p);
  }
}

static void bindings(chan *c, const fws_node *b) {
  fws_aa *a = c->a;
  if (!b) return;
  fws_aa_at at = fws_aa_deref(a, (fws_aa_at){b, c->doc});
  if (!at.node || !fws_ld_expect_map(a->ld, at.node, "'bindings'")) return;
  for (size_t i = 0; i < at.node->n; i++) {
    const fws_node *k = at.node->keys[i];
    if (strcmp(k->str, "ws") != 0) {
      fws_ld_warn(a->ld, k->pos, "channel %s: '%s' bindings are not WebSocket (ignored)", c->ch->name, k->str);
      continue;
    }
    const fws_node *ws = at.node->values[i];
    if (!fws_ld_expect_map(a->ld, ws, "'bindings.ws'")) continue;
    static const char *const keys[] = {"method", "query", "headers", "bindingVersion", NULL};
    fws_ld_known_keys(a->ld, ws, "'bindings.ws'", keys);
    const char *method = fws_aa_scalar(fws_node_get(ws, "method"));
    if (method && strcasecmp(method, "GET") != 0)
      fws_ld_warn(a->ld, fws_node_get(ws, "method")->pos, "bindings.ws method '%s': a WebSocket handshake is a GET",
                  method);
    const fws_node *q = fws_node_get(ws, "query"), *h = fws_node_get(ws, "headers");
    if (q) binding_params(c, q, "bindings.ws.query", &c->ch->query, &c->ch->nquery);
    if (h) binding_params(c, h, "bindings.ws.headers", &c->ch->headers, &c->ch->nheaders);
  }
}

/* Channel parameters: path placeholders, or (3.0 `location`) a header or a query parameter. */
static void parameters(chan *c, const fws_node *params) {
  fws_aa *a = c->a;
  fws_channel *ch = c->ch;
  if (params && fws_ld_expect_map(a->ld, params, "'parameters'")) {
    for (size_t i = 0; i < params->n; i++) {
      const fws_node *k = params->keys[i];
      fws_aa_at at = fws_aa_deref(a, (fws_aa_at){params->values[i], c->doc});
      const fws_node *v = at.node;
      if (!v) continue;
      if (v->kind != FWS_NODE_MAP) v = NULL; /* 3.0 allows an empty parameter */
      fws_param p = {0};
      p.name = k->str;
      p.pos = k->pos;
      p.required = 1;
      p.docs = fws_aa_scalar(fws_node_get(v, "description"));
      p.sdk_name = fws_aa_scalar(fws_node_get(v, "x-fern-parameter-name"));
      const fws_node *schema = fws_node_get(v, "schema");
      if (schema) {
        p.type = fws_aa_schema(a, (fws_aa_at){schema, at.doc}, NULL);
        p.default_value = fws_node_get(fws_aa_deref(a, (fws_aa_at){schema, at.doc}).node, "default");
      } else if (v && fws_node_get(v, "enum")) {
        /* 3.0: a parameter is a string with enum, default, examples */
        p.type = fws_aa_schema(a, at, NULL);
        p.default_value = fws_node_get(v, "default");
      } else {
        fws_type *t = fws_ld_alloc(a->ld, sizeof *t);
        t->kind = FWS_K_PRIMITIVE;
        t->u.prim = FWS_P_STRING;
        t->pos = k->pos;
        t->index = -1;
        p.type = t;
        p.default_value = fws_node_get(v, "default");
      }
      if (p.type->kind == FWS_K_ENUM) p.type->name = param_hint(a, ch, k->str);
      const char *loc = fws_aa_scalar(fws_node_get(v, "location"));
      int optional = truthy(fws_node_get(v, "x-fern-optional"));
      char pattern[160];
      snprintf(pattern, sizeof pattern, "={%s}", k->str);
      if (loc && strncmp(loc, "$message.header#/", 17) == 0) {
        p.name = loc + 17;
        p.required = !optional;
        push_param(a, &ch->headers, &ch->nheaders, &p);
      } else if (loc && strncmp(loc, "$message.payload#/", 18) == 0) {
        p.name = loc + 18;
        p.required = !optional;
        push_param(a, &ch->query, &ch->nquery, &p);
      } else if (loc) {
        fws_ld_warn(a->ld, fws_node_get(v, "location")->pos,
                    "parameter '%s': location '%s' is neither $message.header#/... nor $message.payload#/... (left out)",
                    k->str, loc);
      } else if (strstr(ch->path, pattern)) {
        p.required = !optional;
        push_param(a, &ch->query, &ch->nquery, &p);
      } else {
        char ph[160];
        snprintf(ph, sizeof ph, "{%s}", k->str);
        if (!strstr(ch->path, ph)) {
          fws_ld_warn(a->ld, k->pos, "parameter '%s' is not in the channel address '%s' (left out)", k->str, ch->path);
          continue;
        }
        push_param(a, &ch->path_params, &ch->npath_params, &p);
      }
    }
  }
  /* placeholders nobody declared: strings, as Fern reads them */
  for (const char *s = ch->path; (s = strchr(s, '{'));) {
    const char *e = strchr(s, '}');
    if (!e) {
      fws_ld_error(a->ld, ch->pos, "channel address '%s': '{' is not closed by '}'", ch->path);
      break;
    }
    char *name = fws_ld_strndup(a->ld, s + 1, (size_t)(e - s - 1));
    int query = s > ch->path && s[-1] == '=';
    if (!query && !find_param(ch->path_params, ch->npath_params, name, 0)) {
      fws_ld_warn(a->ld, ch->pos, "channel %s: '{%s}' in the address is not in 'parameters' (a string)", ch->name, name);
      fws_param p = {0};
      fws_type *t = fws_ld_alloc(a->ld, sizeof *t);
      t->kind = FWS_K_PRIMITIVE;
      t->u.prim = FWS_P_STRING;
      t->pos = ch->pos;
      t->index = -1;
      p.name = name;
      p.type = t;
      p.required = 1;
      p.pos = ch->pos;
      push_param(a, &ch->path_params, &ch->npath_params, &p);
    }
    s = e;
  }
  /* "path?x={x}": the query part goes, its parameters are query parameters */
  char *q = strchr(ch->path, '?');
  if (q) *q = '\0';
}

/* ---- messages ---- */

static int is_binary_message(fws_aa *a, const fws_node *m, fws_aa_at payload) {
  const char *ct = fws_aa_scalar(fws_node_get(m, "contentType"));
  if (!ct) ct = fws_aa_scalar(fws_node_get(a->main->root, "defaultContentType"));
  if (ct && strcasecmp(ct, "application/octet-stream") == 0) return 1;
  return payload.node && fws_aa_is_binary_schema(a, payload);
}

static const char *const message_keys[] = {
    "messageId", "name", "title", "summary", "description", "payload", "contentType", "schemaFormat",
    "headers", "correlationId", "tags", "externalDocs", "bindings", "examples", "traits", NULL};

static fws_message *find_message(chan *c, const char *id) {
  for (size_t i = 0; i < c->msgs.n; i++)
    if (strcmp(((fws_message *)c->msgs.items[i])->id, id) == 0) return c->msgs.items[i];
  return NULL;
}

/* A unique id within the channel, as Fern renames: "X", then "X_0", "X_1"... */
static const char *unique_id(chan *c, const char *want) {
  if (!find_message(c, want)) return want;
  for (unsigned n = 0;; n++) {
    char *id = fws_arena_printf(&c->a->ld->api->arena, "%s_%u", want, n);
    if (!id) longjmp(c->a->ld->oom, 1);
    if (!find_message(c, id)) return id;
  }
}

static void add_example_of_message(chan *c, const fws_message *m, const fws_node *examples);

/* One message object (reached through $refs) into the channel. `key` is what examples call it. */
static void add_message(chan *c, fws_aa_at at, const char *key, const char *want_id, fws_origin origin,
                        const fws_node *op) {
  fws_aa *a = c->a;
  fws_loader *ld = a->ld;
  const fws_node *m = at.node;
  if (!m || !fws_ld_expect_map(ld, m, "a message")) return;
  /* the same message reached twice in one direction (two operations) is one message */
  for (size_t i = 0; i < c->msgs.n; i++) {
    const msg_src *s = c->srcs.items[i];
    if (s->node == m && ((fws_message *)c->msgs.items[i])->origin == origin && strcmp(s->key, key) == 0) return;
  }
  for (size_t i = 0; i < m->n; i++) {
    const char *k = m->keys[i]->str;
    int known = strcmp(k, "x-fern-ignore") == 0 || strcmp(k, "x-fern-display-name") == 0;
    for (const char *const *p = message_keys; *p && !known; p++) known = strcmp(k, *p) == 0;
    if (known) continue;
    if (strncmp(k, "x-fern-", 7) == 0)
      fws_ld_warn(ld, m->keys[i]->pos, "'%s' on a message is not used by fernws (ignored)", k);
    else if (strncmp(k, "x-", 2) != 0)
      fws_ld_warn(ld, m->keys[i]->pos, "unknown key '%s' in a message (ignored)", k);
  }
  if (truthy(fws_node_get(m, "x-fern-ignore"))) return;
  fws_message *msg = fws_ld_alloc(ld, sizeof *msg);
  msg->id = unique_id(c, want_id);
  msg->origin = origin;
  msg->pos = m->pos;
  const char *name = fws_aa_scalar(fws_node_get(m, "name"));
  msg->docs = fws_aa_scalar(fws_node_get(m, "description"));
  if (!msg->docs) msg->docs = fws_aa_scalar(fws_node_get(m, "summary"));
  if (!msg->docs && op) msg->docs = fws_aa_scalar(fws_node_get(op, "description"));
  msg->display_name = fws_aa_scalar(fws_node_get(m, "x-fern-display-name"));
  if (!msg->display_name) msg->display_name = fws_aa_scalar(fws_node_get(m, "title"));
  if (!msg->display_name && name && !identifier(name)) msg->display_name = name;
  if (op) msg->method_name = fws_aa_scalar(fws_node_get(op, "x-fern-sdk-method-name"));
  const fws_node *payload = fws_node_get(m, "payload");
  fws_aa_at pat = {payload, at.doc};
  const char *format = fws_aa_scalar(fws_node_get(m, "schemaFormat"));
  if (format && !strstr(format, "asyncapi") && !strstr(format, "schema+json") && !strstr(format, "schema+yaml")) {
    fws_ld_warn(ld, fws_node_get(m, "schemaFormat")->pos,
                "message '%s': schemaFormat '%s' is not JSON Schema: its payload is not checked", msg->id, format);
    payload = NULL;
  }
  if (fws_node_get(m, "headers"))
    fws_ld_warn(ld, fws_node_get(m, "headers")->pos,
                "message '%s': message headers have no place in a WebSocket frame (ignored)", msg->id);
  if (fws_node_get(m, "traits"))
    fws_ld_warn(ld, fws_node_get(m, "traits")->pos, "message '%s': message traits are not applied (ignored)", msg->id);
  msg->binary = is_binary_message(a, m, pat);
  if (!payload) {
    fws_type *t = fws_ld_alloc(ld, sizeof *t);
    t->kind = FWS_K_UNKNOWN;
    t->pos = m->pos;
    t->index = -1;
    msg->body = t;
  } else {
    /* an inline payload is a declaration named after the message, as Fern names it */
    const char *tname = identifier(name) ? name : msg->id;
    fws_aa_at pd = fws_aa_deref(a, pat);
    int named = pd.node && pd.node->kind == FWS_NODE_MAP && !fws_node_get(payload, "$ref") &&
                (fws_node_get(pd.node, "properties") || fws_node_get(pd.node, "oneOf") ||
                 fws_node_get(pd.node, "anyOf") || fws_node_get(pd.node, "allOf") ||
                 (fws_node_get(pd.node, "enum") && !msg->binary));
    msg->body = fws_aa_schema(a, pat, named ? upper_first(a, tname) : NULL);
  }
  msg_src *src = fws_ld_alloc(ld, sizeof *src);
  src->key = key;
  src->node = m;
  fws_ld_push(ld, &c->msgs, msg);
  fws_ld_push(ld, &c->srcs, src);
  const fws_node *ex = fws_node_get(m, "examples");
  if (ex) add_example_of_message(c, msg, ex);
}

/* The id a 2.6 message gets: messageId, else a name that is an identifier, else its components key. */
static const char *v2_message_id(const fws_node *m, const char *key, const char *fallback) {
  const char *id = fws_aa_scalar(fws_node_get(m, "messageId"));
  if (identifier(id)) return id;
  id = fws_aa_scalar(fws_node_get(m, "name"));
  if (identifier(id)) return id;
  if (identifier(key)) return key;
  return fallback;
}

/* The components/messages key a $ref names (the rest of the pointer, '/' kept as Deepgram writes it). */
static const char *components_key(const char *ref) {
  const char *p = "#/components/messages/";
  return strncmp(ref, p, strlen(p)) == 0 ? ref + strlen(p) : NULL;
}

/* Case-insensitive strstr (strcasestr is a GNU extension). */
static int contains_words(const char *text, const char *words) {
  size_t wl = strlen(words);
  for (const char *p = text; *p; p++)
    if (strncasecmp(p, words, wl) == 0) return 1;
  return 0;
}

/* Whether an operation's own words say who sends its messages: 1 client, 2 server, 0 nothing. */
static int says_origin(const fws_node *op) {
  static const char *const client[] = {"client message", "from the client", "client to the server", "client to server",
                                       "sent by the client", NULL};
  static const char *const server[] = {"server message", "from the server", "server to the client", "server to client",
                                       "sent by the server", NULL};
  int said = 0;
  const char *fields[] = {"summary", "description", NULL};
  for (const char **f = fields; *f; f++) {
    const char *t = fws_aa_scalar(fws_node_get(op, *f));
    if (!t) continue;
    for (const char *const *w = client; *w; w++)
      if (contains_words(t, *w)) said |= 1;
    for (const char *const *w = server; *w; w++)
      if (contains_words(t, *w)) said |= 2;
  }
  return said == 3 ? 0 : said;
}

/* 2.6: `publish` is what a client sends (the spec's reading, and Fern's), unless the document says
** the reverse of its operations, and says nothing the other way (Deepgram's export summarises its
** publish operations as "Server messages"). A document that says both is warned about and read
** the spec's way. */
static void decide_direction(fws_aa *a, const fws_node *channels) {
  size_t agree = 0, reverse = 0;
  const fws_node *first_reverse = NULL;
  for (size_t i = 0; i < channels->n; i++) {
    const fws_node *ch = fws_aa_deref(a, (fws_aa_at){channels->values[i], a->main}).node;
    if (!ch || ch->kind != FWS_NODE_MAP) continue;
    for (int pub = 1; pub >= 0; pub--) {
      const fws_node *op = fws_aa_deref(a, (fws_aa_at){fws_node_get(ch, pub ? "publish" : "subscribe"), a->main}).node;
      int said = op && op->kind == FWS_NODE_MAP ? says_origin(op) : 0;
      if (!said) continue;
      int client = said == 1;
      if (client == pub) agree++;
      else {
        reverse++;
        if (!first_reverse) first_reverse = op;
      }
    }
  }
  if (reverse && !agree) {
    a->reversed = 1;
    fws_ld_warn(a->ld, first_reverse->pos,
                "this document's publish operations are what the server sends (it says so, e.g. '%s'): read that way, "
                "the reverse of AsyncAPI 2's publish = what a client sends",
                fws_aa_scalar(fws_node_get(first_reverse, "summary")) ? fws_node_get(first_reverse, "summary")->str
                                                                       : "description");
  } else if (reverse) {
    fws_ld_warn(a->ld, first_reverse->pos,
                "this operation says its messages come the other way than AsyncAPI 2 reads it, while %zu others agree: "
                "read as AsyncAPI 2 says (publish = what a client sends)",
                agree);
  }
}

static void channel_security(chan *c, const fws_node *op) {
  const fws_node *sec = fws_node_get(op, "security");
  if (sec && fws_aa_security(c->a, c->doc, sec)) c->ch->auth = 1;
  const fws_node *traits = fws_node_get(op, "traits");
  for (size_t i = 0; traits && traits->kind == FWS_NODE_SEQ && i < traits->n; i++) {
    fws_aa_at t = fws_aa_deref(c->a, (fws_aa_at){traits->values[i], c->doc});
    const fws_node *ts = t.node ? fws_node_get(t.node, "security") : NULL;
    if (ts && fws_aa_security(c->a, t.doc, ts)) c->ch->auth = 1;
  }
}

static void v2_operation(chan *c, const char *which, fws_origin origin) {
  fws_aa *a = c->a;
  fws_aa_at at = fws_aa_deref(a, (fws_aa_at){fws_node_get(c->node, which), c->doc});
  const fws_node *op = at.node;
  if (!op || !fws_ld_expect_map(a->ld, op, "an operation")) return;
  channel_security(c, op);
  if (fws_node_get(op, "traits"))
    fws_ld_warn(a->ld, fws_node_get(op, "traits")->pos, "operation traits are read for security only");
  const fws_node *msg = fws_node_get(op, "message");
  if (!msg) {
    fws_ld_warn(a->ld, op->pos, "channel %s: '%s' has no 'message'", c->ch->name, which);
    return;
  }
  fws_aa_at mat = fws_aa_deref(a, (fws_aa_at){msg, at.doc});
  if (!mat.node) return;
  const fws_node *one = fws_node_get(mat.node, "oneOf");
  const fws_node *list = one ? one : NULL;
  size_t n = list ? list->n : 1;
  if (list && !fws_ld_expect_seq(a->ld, list, "'message.oneOf'")) return;
  const char *opid = fws_aa_scalar(fws_node_get(op, "operationId"));
  for (size_t i = 0; i < n; i++) {
    const fws_node *raw = list ? list->values[i] : msg;
    fws_aa_at m = list ? fws_aa_deref(a, (fws_aa_at){raw, mat.doc}) : mat;
    if (!m.node) continue;
    const fws_node *r = fws_node_get(raw, "$ref");
    const char *key = r && fws_aa_scalar(r) ? components_key(r->str) : NULL;
    char fallback[160];
    snprintf(fallback, sizeof fallback, "%s_%zu", opid ? opid : which, i);
    const char *id = v2_message_id(m.node, key, fallback);
    if (id == fallback) id = fws_ld_strndup(a->ld, fallback, strlen(fallback));
    add_message(c, m, key ? key : id, id, origin, op);
  }
}

/* 3.0: the operations whose channel is this one. */
static void v3_operations(chan *c, const fws_node *ops) {
  fws_aa *a = c->a;
  fws_loader *ld = a->ld;
  const fws_node *cmsgs = fws_node_get(c->node, "messages");
  if (cmsgs && cmsgs->kind != FWS_NODE_MAP) cmsgs = NULL;
  unsigned char *used = fws_ld_alloc(ld, (cmsgs ? cmsgs->n : 0) + 1);
  for (size_t i = 0; ops && i < ops->n; i++) {
    fws_aa_at oat = fws_aa_deref(a, (fws_aa_at){ops->values[i], a->main});
    const fws_node *op = oat.node;
    if (!op || op->kind != FWS_NODE_MAP) continue;
    const fws_node *chref = fws_node_get(fws_node_get(op, "channel"), "$ref");
    if (!chref || !fws_aa_scalar(chref)) continue;
    fws_aa_at target = fws_aa_resolve(a, oat.doc, chref->str, chref->pos);
    if (target.node != c->node) continue;
    if (truthy(fws_node_get(op, "x-fern-ignore"))) continue;
    const char *action = fws_aa_scalar(fws_node_get(op, "action"));
    fws_origin origin;
    if (action && strcmp(action, "send") == 0) origin = FWS_ORIGIN_CLIENT;
    else if (action && strcmp(action, "receive") == 0) origin = FWS_ORIGIN_SERVER;
    else {
      fws_ld_error(ld, op->pos, "operation '%s' needs 'action': send or receive", ops->keys[i]->str);
      continue;
    }
    channel_security(c, op);
    if (fws_node_get(op, "reply"))
      fws_ld_warn(ld, fws_node_get(op, "reply")->pos, "operation '%s': 'reply' is not used by fernws (ignored)",
                  ops->keys[i]->str);
    const fws_node *list = fws_node_get(op, "messages");
    if (list && !fws_ld_expect_seq(ld, list, "an operation's 'messages'")) continue;
    size_t n = list ? list->n : cmsgs ? cmsgs->n : 0;
    for (size_t j = 0; j < n; j++) {
      const char *key;
      fws_aa_at m;
      if (list) {
        const fws_node *r = fws_node_get(list->values[j], "$ref");
        if (!r || !fws_aa_scalar(r)) {
          fws_ld_error(ld, list->values[j]->pos, "an operation's message must be a $ref to the channel's messages");
          continue;
        }
        fws_aa_at raw = fws_aa_resolve(a, oat.doc, r->str, r->pos);
        if (!raw.node) continue;
        key = NULL;
        for (size_t k = 0; cmsgs && k < cmsgs->n && !key; k++)
          if (cmsgs->values[k] == raw.node) key = cmsgs->keys[k]->str, used[k] = 1;
        if (!key) {
          fws_ld_warn(ld, r->pos, "operation '%s': message '%s' is not one of the channel's messages", ops->keys[i]->str,
                      r->str);
          const char *last = strrchr(r->str, '/');
          key = last ? last + 1 : r->str;
        }
        m = fws_aa_deref(a, raw);
      } else {
        key = cmsgs->keys[j]->str;
        used[j] = 1;
        m = fws_aa_deref(a, (fws_aa_at){cmsgs->values[j], c->doc});
      }
      if (!m.node) continue;
      /* a message both sent and received is two messages: the second gets Fern's renaming */
      add_message(c, m, key, key, origin, op);
    }
  }
  for (size_t k = 0; cmsgs && k < cmsgs->n; k++)
    if (!used[k])
      fws_ld_warn(ld, cmsgs->keys[k]->pos, "message '%s' of channel %s is in no operation, so it has no direction (left out)",
                  cmsgs->keys[k]->str, c->ch->name);
}

/* ---- examples ---- */

static void push_example(chan *c, const fws_example *e) {
  fws_channel *ch = c->ch;
  fws_example *ne = fws_ld_alloc(c->a->ld, (ch->nexamples + 1) * sizeof *ne);
  if (ch->nexamples) memcpy(ne, ch->examples, ch->nexamples * sizeof *ne);
  ne[ch->nexamples++] = *e;
  ch->examples = ne;
}

/* A message's own `examples` (AsyncAPI: [{payload, name, summary, headers}]): one example each. */
static void add_example_of_message(chan *c, const fws_message *m, const fws_node *examples) {
  fws_loader *ld = c->a->ld;
  if (!fws_ld_expect_seq(ld, examples, "a message's 'examples'")) return;
  for (size_t i = 0; i < examples->n; i++) {
    const fws_node *x = examples->values[i];
    if (!fws_ld_expect_map(ld, x, "a message example")) continue;
    const fws_node *payload = fws_node_get(x, "payload");
    if (!payload) continue;
    fws_example e = {0};
    e.name = fws_aa_scalar(fws_node_get(x, "name"));
    e.docs = fws_aa_scalar(fws_node_get(x, "summary"));
    e.pos = x->pos;
    e.messages = fws_ld_alloc(ld, sizeof *e.messages);
    e.messages[0].type = m->id;
    e.messages[0].message = m;
    e.messages[0].body = payload;
    e.messages[0].pos = x->pos;
    e.nmessages = 1;
    push_example(c, &e);
  }
}

static void inconsistent(fws_aa *a, fws_pos pos, const char *fmt, const char *x, const char *y) {
  if (a->ld->opts.lenient) fws_ld_warn(a->ld, pos, fmt, x, y);
  else fws_ld_error(a->ld, pos, fmt, x, y);
}

/* x-fern-examples: [{name|summary, description, query-parameters, headers, path-parameters,
** messages: [{type: publish|subscribe (2.6) | send|receive, messageId, value}]}] */
static void fern_examples(chan *c, const fws_node *list) {
  fws_aa *a = c->a;
  fws_loader *ld = a->ld;
  if (!fws_ld_expect_seq(ld, list, "'x-fern-examples'")) return;
  for (size_t i = 0; i < list->n; i++) {
    const fws_node *x = list->values[i];
    if (!fws_ld_expect_map(ld, x, "an example")) continue;
    static const char *const keys[] = {"name", "summary", "description", "query-parameters", "headers",
                                       "path-parameters", "messages", NULL};
    fws_ld_known_keys(ld, x, "an x-fern-examples entry", keys);
    fws_example e = {0};
    e.pos = x->pos;
    e.name = fws_aa_scalar(fws_node_get(x, "name"));
    if (!e.name) e.name = fws_aa_scalar(fws_node_get(x, "summary"));
    e.docs = fws_aa_scalar(fws_node_get(x, "description"));
    e.query = fws_node_get(x, "query-parameters");
    e.headers = fws_node_get(x, "headers");
    e.path_params = fws_node_get(x, "path-parameters");
    const fws_node *msgs = fws_node_get(x, "messages");
    if (!msgs || !fws_ld_expect_seq(ld, msgs, "example 'messages'")) {
      if (!msgs) fws_ld_error(ld, x->pos, "an example needs 'messages'");
      continue;
    }
    e.messages = fws_ld_alloc(ld, (msgs->n ? msgs->n : 1) * sizeof *e.messages);
    for (size_t j = 0; j < msgs->n; j++) {
      const fws_node *em = msgs->values[j];
      if (!fws_ld_expect_map(ld, em, "an example message")) continue;
      const char *mid = fws_aa_scalar(fws_node_get(em, "messageId"));
      const char *type = fws_aa_scalar(fws_node_get(em, "type"));
      const fws_node *value = fws_node_get(em, "value");
      if (!mid || !value) {
        fws_ld_error(ld, em->pos, "an example message needs 'messageId' and 'value'");
        continue;
      }
      /* the direction its type says, when it says one */
      int want = -1;
      if (type && (strcmp(type, "publish") == 0 || strcmp(type, "send") == 0))
        want = strcmp(type, "publish") == 0 && a->reversed ? FWS_ORIGIN_SERVER : FWS_ORIGIN_CLIENT;
      else if (type && (strcmp(type, "subscribe") == 0 || strcmp(type, "receive") == 0))
        want = strcmp(type, "subscribe") == 0 && a->reversed ? FWS_ORIGIN_CLIENT : FWS_ORIGIN_SERVER;
      const fws_message *found = NULL;
      for (int pass = 0; pass < 2 && !found; pass++)
        for (size_t k = 0; k < c->msgs.n && !found; k++) {
          const fws_message *m = c->msgs.items[k];
          const msg_src *s = c->srcs.items[k];
          if ((strcmp(s->key, mid) == 0 || strcmp(m->id, mid) == 0) && (pass || want < 0 || (int)m->origin == want))
            found = m;
        }
      if (!found) {
        inconsistent(a, fws_node_get(em, "messageId")->pos, "example message '%s' is not a message of channel %s", mid,
                     c->ch->name);
        continue;
      }
      fws_example_message *xm = &e.messages[e.nmessages++];
      xm->type = found->id;
      xm->message = found;
      xm->body = value;
      xm->pos = em->pos;
    }
    push_example(c, &e);
  }
}

/* ---- messages that share a payload ---- */

/* Whether `id` ends with `value` (letters compared without case) at a word boundary: the whole id,
** after a non-alphanumeric, or an upper-case start after a lower-case letter or digit. So
** "SpeakV1Flush" and "speak_flush" name "Flush"; "SpeakV1Flushed" does not. */
static int id_names(const char *id, const char *value) {
  size_t il = strlen(id), vl = strlen(value);
  if (!vl || vl > il || strcasecmp(id + il - vl, value) != 0) return 0;
  if (il == vl) return 1;
  unsigned char before = (unsigned char)id[il - vl - 1], first = (unsigned char)id[il - vl];
  if (!isalnum(before)) return 1;
  return (islower(before) || isdigit(before)) && isupper(first);
}

/* The string enum a property is (through references, aliases and optional), or NULL. */
static const fws_type *prop_enum(const fws_prop *p) {
  const fws_type *t = fws_aa_underlying(p->type);
  if (t && t->kind == FWS_K_OPTIONAL) t = fws_aa_underlying(t->u.elem);
  return t && t->kind == FWS_K_ENUM ? t : NULL;
}

static const char *enum_value(const fws_type *en, const char *v) {
  for (size_t i = 0; v && i < en->u.enumeration.nvalues; i++)
    if (strcmp(en->u.enumeration.values[i].value, v) == 0) return en->u.enumeration.values[i].value;
  return NULL;
}

/* The value of `en` that property `prop` of message k carries: with `examples`, the one all of the
** message's own examples give it; else the longest value its id names. NULL when neither says. */
static const char *carried_value(chan *c, size_t k, const char *prop, const fws_type *en, int examples) {
  const fws_message *m = c->msgs.items[k];
  const msg_src *src = c->srcs.items[k];
  if (examples) {
    const fws_node *ex = fws_node_get(src->node, "examples");
    const char *said = NULL;
    int agree = 1;
    for (size_t i = 0; ex && ex->kind == FWS_NODE_SEQ && i < ex->n; i++) {
      const char *v = fws_aa_scalar(fws_node_get(fws_node_get(ex->values[i], "payload"), prop));
      if (!v) continue;
      if (said && strcmp(said, v) != 0) agree = 0;
      said = v;
    }
    if (agree && enum_value(en, said)) return enum_value(en, said);
  }
  const char *best = NULL;
  for (size_t i = 0; i < en->u.enumeration.nvalues; i++) {
    const char *v = en->u.enumeration.values[i].value;
    if (id_names(m->id, v) && (!best || strlen(v) > strlen(best))) best = v;
  }
  return best;
}

/* After narrowing, an example of a message object that several messages share (it was given to each)
** stays only with the one whose value it carries. */
static void sort_shared_examples(chan *c, const size_t *group, const char *const *vals, size_t g, const char *prop) {
  fws_channel *ch = c->ch;
  size_t keep = 0;
  for (size_t i = 0; i < ch->nexamples; i++) {
    const fws_example *e = &ch->examples[i];
    int drop = 0;
    if (e->nmessages == 1) {
      const char *v = fws_aa_scalar(fws_node_get(e->messages[0].body, prop));
      for (size_t k = 0; k < g && v; k++)
        if (strcmp(((fws_message *)c->msgs.items[group[k]])->id, e->messages[0].type) == 0) {
          for (size_t o = 0; o < g && !drop; o++) drop = o != k && strcmp(vals[o], v) == 0;
        }
    }
    if (!drop) ch->examples[keep++] = *e;
  }
  ch->nexamples = keep;
}

/* Messages of one direction that share a payload (Deepgram's SpeakV1Flush, SpeakV1Clear and
** SpeakV1Close all $ref SpeakV1ControlMessage, whose `type` is the enum Flush|Clear|Close) would
** all take whatever any of them can carry, and a frame would decode as the first tried. When one
** string-enum property can say which message is which, each gets the payload with that property
** narrowed to its own value (a literal, so dispatch tells them apart): the value the message's own
** examples all give it (when the messages are distinct message objects), else the value its id ends
** with (SpeakV1Flush: "Flush"). The values must be distinct; otherwise a warning says so. */
static void tell_apart(chan *c) {
  fws_aa *a = c->a;
  fws_loader *ld = a->ld;
  size_t n = c->msgs.n;
  unsigned char *done = fws_ld_alloc(ld, n + 1);
  size_t *group = fws_ld_alloc(ld, (n + 1) * sizeof *group);
  const char **vals = fws_ld_alloc(ld, (n + 1) * sizeof *vals);
  for (size_t i = 0; i < n; i++) {
    const fws_message *mi = c->msgs.items[i];
    const fws_type *obj = fws_aa_underlying(mi->body);
    if (done[i] || mi->binary || !obj || obj->kind != FWS_K_OBJECT) continue;
    size_t g = 0;
    int shared_node = 1;
    for (size_t j = i; j < n; j++) {
      const fws_message *mj = c->msgs.items[j];
      if (done[j] || mj->binary || mj->origin != mi->origin || fws_aa_underlying(mj->body) != obj) continue;
      group[g++] = j;
      done[j] = 1;
      if (((msg_src *)c->srcs.items[j])->node != ((msg_src *)c->srcs.items[i])->node) shared_node = 0;
    }
    if (g < 2) continue;
    const char *prop = NULL;
    for (size_t p = 0; p < obj->u.object.nprops && !prop; p++) {
      const fws_type *en = prop_enum(&obj->u.object.props[p]);
      if (!en) continue;
      for (int examples = !shared_node; examples >= 0 && !prop; examples--) {
        int ok = 1;
        for (size_t k = 0; k < g && ok; k++) {
          vals[k] = carried_value(c, group[k], obj->u.object.props[p].name, en, examples);
          ok = vals[k] != NULL;
          for (size_t o = 0; o < k && ok; o++) ok = strcmp(vals[o], vals[k]) != 0;
        }
        if (ok) prop = obj->u.object.props[p].name;
      }
    }
    if (!prop) {
      char ids[512];
      size_t o = 0;
      for (size_t k = 0; k < g && o < sizeof ids; k++)
        o += (size_t)snprintf(ids + o, sizeof ids - o, "%s%s", k ? ", " : "",
                              ((fws_message *)c->msgs.items[group[k]])->id);
      fws_ld_warn(ld, mi->pos,
                  "channel %s: messages %s share one payload and no enum property says which is which (by their "
                  "examples or ids): a frame decodes as the first of them it fits",
                  c->ch->name, ids);
      continue;
    }
    for (size_t k = 0; k < g; k++) {
      fws_message *m = c->msgs.items[group[k]];
      m->body = fws_aa_narrow(a, m->body, prop, vals[k], m->pos);
    }
    if (shared_node) sort_shared_examples(c, group, vals, g, prop);
  }
}

/* ---- the channel ---- */

static const char *const channel_keys2[] = {"description", "subscribe", "publish", "parameters", "bindings", "servers",
                                            NULL};
static const char *const channel_keys3[] = {"address", "messages", "title", "summary", "description", "servers",
                                            "parameters", "tags", "externalDocs", "bindings", NULL};
static const char *const fern_channel_ext[] = {"x-fern-sdk-group-name", "x-fern-examples", "x-fern-ignore",
                                               "x-fern-display-name", "x-fern-auth-message", "x-fern-address", NULL};

static void channel_keys(fws_aa *a, const fws_node *n) {
  const char *const *keys = a->version == 2 ? channel_keys2 : channel_keys3;
  for (size_t i = 0; i < n->n; i++) {
    const fws_node *k = n->keys[i];
    int known = 0;
    for (const char *const *p = keys; *p && !known; p++) known = strcmp(k->str, *p) == 0;
    for (const char *const *p = fern_channel_ext; *p && !known; p++) known = strcmp(k->str, *p) == 0;
    if (known) continue;
    if (strncmp(k->str, "x-fern-", 7) == 0)
      fws_ld_warn(a->ld, k->pos, "'%s' on a channel is not used by fernws (ignored)", k->str);
    else if (strncmp(k->str, "x-", 2) != 0)
      fws_ld_warn(a->ld, k->pos, "unknown key '%s' in a channel (ignored)", k->str);
  }
}

static void auth_message(chan *c, const fws_node *am) {
  fws_loader *ld = c->a->ld;
  if (!fws_ld_expect_map(ld, am, "'x-fern-auth-message'")) return;
  const char *id = fws_aa_scalar(fws_node_get(am, "message-id"));
  const char *path = fws_aa_scalar(fws_node_get(am, "token-property-path"));
  if (!id || !path) {
    fws_ld_error(ld, am->pos, "'x-fern-auth-message' needs 'message-id' and 'token-property-path'");
    return;
  }
  const fws_message *m = find_message(c, id);
  if (!m || m->origin != FWS_ORIGIN_CLIENT) {
    fws_ld_error(ld, fws_node_get(am, "message-id")->pos, "x-fern-auth-message: '%s' is not a client message of channel %s",
                 id, c->ch->name);
    return;
  }
  c->ch->auth_message_id = id;
  c->ch->auth_token_path = path;
  c->ch->auth = 1;
}

static void read_channel(fws_aa *a, const fws_node *key, fws_aa_at at, const fws_node *ops, const char *base_path) {
  fws_loader *ld = a->ld;
  const fws_node *n = at.node;
  if (!n || !fws_ld_expect_map(ld, n, "a channel")) return;
  if (truthy(fws_node_get(n, "x-fern-ignore"))) return;
  channel_keys(a, n);
  chan c = {0};
  c.a = a;
  c.doc = at.doc;
  c.node = n;
  fws_channel *ch = c.ch = fws_ld_alloc(ld, sizeof *ch);
  ch->source = a->main->file;
  ch->file = a->main->path;
  ch->pos = key->pos;
  const char *group = group_name(a, fws_node_get(n, "x-fern-sdk-group-name"));
  ch->name = group ? group : a->version == 2 ? camel(a, key->str) : key->str;
  const char *address = fws_aa_scalar(fws_node_get(n, "x-fern-address"));
  if (!address) address = a->version == 2 ? key->str : fws_aa_str(a, n, "address");
  if (!address) {
    fws_ld_warn(ld, key->pos, "channel %s has no address: '/' is used", ch->name);
    address = "/";
  }
  char *path = fws_arena_printf(&ld->api->arena, "%s%s%s", base_path ? base_path : "", address[0] == '/' ? "" : "/",
                                address);
  if (!path) longjmp(ld->oom, 1);
  ch->path = path;
  ch->docs = fws_aa_scalar(fws_node_get(n, "description"));
  if (!ch->docs) ch->docs = fws_aa_scalar(fws_node_get(n, "summary"));
  ch->display_name = fws_aa_scalar(fws_node_get(n, "x-fern-display-name"));
  if (!ch->display_name) ch->display_name = fws_aa_scalar(fws_node_get(n, "title"));
  parameters(&c, fws_node_get(n, "parameters"));
  bindings(&c, fws_node_get(n, "bindings"));
  if (fws_aa_channel_servers(a, ch, fws_node_get(n, "servers"))) ch->auth = 1;
  if (a->version == 2) {
    v2_operation(&c, "publish", a->reversed ? FWS_ORIGIN_SERVER : FWS_ORIGIN_CLIENT);
    v2_operation(&c, "subscribe", a->reversed ? FWS_ORIGIN_CLIENT : FWS_ORIGIN_SERVER);
  } else {
    v3_operations(&c, ops);
  }
  tell_apart(&c);
  ch->nmessages = c.msgs.n;
  ch->messages = fws_ld_alloc(ld, (c.msgs.n ? c.msgs.n : 1) * sizeof *ch->messages);
  for (size_t i = 0; i < c.msgs.n; i++) ch->messages[i] = *(fws_message *)c.msgs.items[i];
  /* examples point at the messages: at their final place now */
  for (size_t i = 0; i < c.msgs.n; i++) c.msgs.items[i] = &ch->messages[i];
  for (size_t i = 0; i < ch->nexamples; i++)
    for (size_t j = 0; j < ch->examples[i].nmessages; j++) {
      fws_example_message *xm = &ch->examples[i].messages[j];
      for (size_t k = 0; k < ch->nmessages; k++)
        if (strcmp(ch->messages[k].id, xm->type) == 0) xm->message = &ch->messages[k];
    }
  const fws_node *fx = fws_node_get(n, "x-fern-examples");
  if (fx) fern_examples(&c, fx);
  const fws_node *am = fws_node_get(n, "x-fern-auth-message");
  if (am) auth_message(&c, am);
  if (ch->auth && !ld->api->nauth)
    fws_ld_warn(ld, ch->pos, "channel %s asks for security, but no scheme could be read: nothing will be sent", ch->name);
  fws_ld_push(ld, &ld->channels, ch);
}

void fws_aa_channels(fws_aa *a) {
  fws_loader *ld = a->ld;
  const fws_node *root = a->main->root;
  const fws_node *channels = fws_node_get(root, "channels");
  if (!channels) return;
  if (!fws_ld_expect_map(ld, channels, "'channels'")) return;
  const fws_node *ops = NULL;
  if (a->version == 3) {
    ops = fws_node_get(root, "operations");
    if (ops && !fws_ld_expect_map(ld, ops, "'operations'")) ops = NULL;
  } else {
    decide_direction(a, channels);
  }
  const char *base_path = fws_aa_scalar(fws_node_get(root, "x-fern-base-path"));
  if (base_path && base_path[strlen(base_path) - 1] == '/')
    base_path = fws_ld_strndup(ld, base_path, strlen(base_path) - 1);
  for (size_t i = 0; i < channels->n; i++)
    read_channel(a, channels->keys[i], fws_aa_deref(a, (fws_aa_at){channels->values[i], a->main}), ops, base_path);
}
