/* A file's `channel:`: path, auth, parameters, messages, examples. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "defn/fws_loader.h"

static const char *const channel_keys[] = {
    "path", "auth", "url", "display-name", "docs", "availability", "audiences", "headers",
    "path-parameters", "query-parameters", "messages", "examples", "auth-message", NULL};

/* Consistency problems a lenient load lets pass as warnings. */
static void inconsistent(fws_loader *ld, fws_pos pos, const char *fmt, const char *a, const char *b) {
  if (ld->opts.lenient) fws_ld_warn(ld, pos, fmt, a, b);
  else fws_ld_error(ld, pos, fmt, a, b);
}

/* Problems that only touch examples or documentation (the channel works the same): warnings, so
** that a definition loads as its vendor publishes it; errors for a strict load (fernws check). */
static void docs_only(fws_loader *ld, fws_pos pos, const char *fmt, const char *a, const char *b) {
  if (ld->opts.strict) inconsistent(ld, pos, fmt, a, b);
  else fws_ld_warn(ld, pos, fmt, a, b);
}

static fws_type *inline_body(fws_loader *ld, fws_file *file, const fws_node *body) {
  static const char *const keys[] = {"name", "extends", "properties", NULL};
  fws_ld_known_keys(ld, body, "an inline message body", keys);
  const fws_node *name = fws_node_get(body, "name");
  fws_type *t = fws_ld_alloc(ld, sizeof *t);
  t->kind = FWS_K_OBJECT;
  t->pos = name->pos;
  t->index = -1;
  if (!fws_ld_expect_scalar(ld, name, "an inline body 'name'")) return t;
  if (!name->len || strchr(name->str, '.')) {
    /* it names a declaration like any other: the same rule as for the keys of `types:` */
    fws_ld_error(ld, name->pos, "an inline body's name cannot be empty or contain '.': '%s'", name->str);
    return t;
  }
  t->short_name = name->str;
  t->name = file->package[0] ? fws_arena_printf(&ld->api->arena, "%s.%s", file->package, name->str) : name->str;
  if (!t->name) longjmp(ld->oom, 1);
  const fws_node *props = fws_node_get(body, "properties");
  if (props && fws_ld_expect_map(ld, props, "'properties'")) {
    t->u.object.props = fws_ld_alloc(ld, (props->n ? props->n : 1) * sizeof(fws_prop));
    for (size_t i = 0; i < props->n; i++) {
      fws_prop *p = &t->u.object.props[t->u.object.nprops++];
      p->name = props->keys[i]->str;
      p->pos = props->keys[i]->pos;
      p->type = fws_ld_typeref_decl(ld, file, props->values[i], "a property", &p->docs, &p->default_value, NULL);
    }
  }
  const fws_node *ext = fws_ld_section(body, "extends");
  if (ext) {
    size_t n = ext->kind == FWS_NODE_SEQ ? ext->n : 1;
    t->u.object.extends = fws_ld_alloc(ld, n * sizeof(fws_type *));
    for (size_t i = 0; i < n; i++) {
      const fws_node *e = ext->kind == FWS_NODE_SEQ ? ext->values[i] : ext;
      if (fws_ld_expect_scalar(ld, e, "an 'extends' entry"))
        t->u.object.extends[t->u.object.nextends++] = fws_ld_typeref(ld, file, e);
    }
  }
  /* an inline body is a declaration like any other: api:type() finds it */
  fws_ld_push(ld, &ld->types, t);
  return t;
}

/* The body's type; a referenced body's own docs come back through *docs. */
static fws_type *message_body(fws_loader *ld, fws_file *file, const fws_node *body, const char *id,
                              const char **docs) {
  if (body->kind == FWS_NODE_SCALAR && !(body->plain && body->stype == FWS_SCALAR_NULL))
    return fws_ld_typeref(ld, file, body);
  if (body->kind == FWS_NODE_MAP && fws_node_get(body, "type")) {
    static const char *const keys[] = {"type", "docs", "validation", NULL};
    fws_ld_known_keys(ld, body, "a message body", keys);
    const fws_node *v = fws_node_get(body, "validation");
    if (v) fws_ld_warn(ld, v->pos, "'validation' on a message body is not in Fern's schema (applied anyway)");
    return fws_ld_typeref_decl(ld, file, body, "a message body", docs, NULL, keys);
  }
  if (body->kind == FWS_NODE_MAP && fws_node_get(body, "name")) return inline_body(ld, file, body);
  fws_ld_error(ld, body->pos,
               "the body of message '%s' must be a type name, {type: T, docs}, or an inline object "
               "{name, extends, properties}",
               id);
  fws_type *t = fws_ld_alloc(ld, sizeof *t);
  t->kind = FWS_K_UNKNOWN;
  t->pos = body->pos;
  t->index = -1;
  return t;
}

static void read_messages(fws_loader *ld, fws_file *file, fws_channel *ch, const fws_node *msgs) {
  if (!msgs || !fws_ld_expect_map(ld, msgs, "'messages'")) return;
  ch->messages = fws_ld_alloc(ld, (msgs->n ? msgs->n : 1) * sizeof(fws_message));
  for (size_t i = 0; i < msgs->n; i++) {
    const fws_node *k = msgs->keys[i], *v = msgs->values[i];
    if (!fws_ld_expect_map(ld, v, "a message")) continue;
    static const char *const keys[] = {"origin", "body", "docs", "display-name", "method-name",
                                       "availability", "audiences", NULL};
    fws_ld_known_keys(ld, v, "a message", keys);
    fws_message *m = &ch->messages[ch->nmessages];
    m->id = k->str;
    m->pos = k->pos;
    const fws_node *origin = fws_node_get(v, "origin");
    if (!origin) {
      fws_ld_error(ld, v->pos, "message '%s' needs 'origin' (client or server)", k->str);
      continue;
    }
    if (fws_node_is(origin, "client")) m->origin = FWS_ORIGIN_CLIENT;
    else if (fws_node_is(origin, "server")) m->origin = FWS_ORIGIN_SERVER;
    else {
      fws_ld_error(ld, origin->pos, "message '%s': origin must be client or server, not '%s'", k->str,
                   origin->kind == FWS_NODE_SCALAR ? origin->str : "a mapping");
      continue;
    }
    const fws_node *body = fws_node_get(v, "body");
    if (!body) {
      fws_ld_error(ld, v->pos, "message '%s' needs a 'body'", k->str);
      continue;
    }
    const char *body_docs = NULL;
    m->body = message_body(ld, file, body, k->str, &body_docs);
    /* Fern keeps both; one text serves a reader, and the message's own says more */
    m->docs = fws_ld_opt_str(ld, v, "docs");
    if (!m->docs) m->docs = body_docs;
    m->display_name = fws_ld_opt_str(ld, v, "display-name");
    m->method_name = fws_ld_opt_str(ld, v, "method-name");
    ch->nmessages++;
  }
}

static const fws_message *find_message(const fws_channel *ch, const char *id) {
  for (size_t i = 0; i < ch->nmessages; i++)
    if (strcmp(ch->messages[i].id, id) == 0) return &ch->messages[i];
  return NULL;
}

static const char *closest_message(const fws_channel *ch, const char *id) {
  const char *best = NULL;
  size_t bd = (size_t)-1, d;
  for (size_t i = 0; i < ch->nmessages; i++)
    if (fws_is_near(id, ch->messages[i].id, &d) && d < bd) bd = d, best = ch->messages[i].id;
  return best;
}

static const fws_param *find_param(const fws_param *ps, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(ps[i].name, name) == 0) return &ps[i];
  return NULL;
}

static void check_example_keys(fws_loader *ld, const fws_node *m, const fws_param *ps, size_t n,
                               const fws_param *more, size_t nmore, const char *what, int caseless) {
  if (!m || m->kind != FWS_NODE_MAP) return;
  for (size_t i = 0; i < m->n; i++) {
    const char *k = m->keys[i]->str;
    int found = find_param(ps, n, k) || find_param(more, nmore, k);
    for (size_t j = 0; caseless && !found && j < n; j++) found = strcasecmp(ps[j].name, k) == 0;
    for (size_t j = 0; caseless && !found && j < nmore; j++) found = strcasecmp(more[j].name, k) == 0;
    if (!found) docs_only(ld, m->keys[i]->pos, "example: %s '%s' is not declared by the channel", what, k);
  }
}

static void read_examples(fws_loader *ld, fws_channel *ch, const fws_node *exs) {
  if (!exs || !fws_ld_expect_seq(ld, exs, "'examples'")) return;
  ch->examples = fws_ld_alloc(ld, (exs->n ? exs->n : 1) * sizeof(fws_example));
  for (size_t i = 0; i < exs->n; i++) {
    const fws_node *e = exs->values[i];
    if (!fws_ld_expect_map(ld, e, "an example")) continue;
    static const char *const keys[] = {"name", "docs", "path-parameters", "query-parameters", "headers",
                                       "messages", NULL};
    fws_ld_known_keys(ld, e, "an example", keys);
    fws_example *ex = &ch->examples[ch->nexamples++];
    ex->pos = e->pos;
    ex->name = fws_ld_opt_str(ld, e, "name");
    ex->docs = fws_ld_opt_str(ld, e, "docs");
    ex->path_params = fws_ld_section(e, "path-parameters");
    ex->query = fws_ld_section(e, "query-parameters");
    ex->headers = fws_ld_section(e, "headers");
    if (ex->path_params && fws_ld_expect_map(ld, ex->path_params, "example 'path-parameters'"))
      check_example_keys(ld, ex->path_params, ch->path_params, ch->npath_params, ld->api->path_params,
                         ld->api->npath_params, "path parameter", 0);
    if (ex->query && fws_ld_expect_map(ld, ex->query, "example 'query-parameters'"))
      check_example_keys(ld, ex->query, ch->query, ch->nquery, NULL, 0, "query parameter", 0);
    if (ex->headers && fws_ld_expect_map(ld, ex->headers, "example 'headers'"))
      check_example_keys(ld, ex->headers, ch->headers, ch->nheaders, ld->api->headers, ld->api->nheaders,
                         "header", 1);
    const fws_node *msgs = fws_ld_section(e, "messages");
    if (!msgs) {
      fws_ld_error(ld, e->pos, "an example needs 'messages'");
      continue;
    }
    if (!fws_ld_expect_seq(ld, msgs, "example 'messages'")) continue;
    ex->messages = fws_ld_alloc(ld, (msgs->n ? msgs->n : 1) * sizeof(fws_example_message));
    for (size_t j = 0; j < msgs->n; j++) {
      const fws_node *m = msgs->values[j];
      if (!fws_ld_expect_map(ld, m, "an example message")) continue;
      static const char *const mkeys[] = {"type", "body", NULL};
      fws_ld_known_keys(ld, m, "an example message", mkeys);
      const fws_node *type = fws_node_get(m, "type");
      const fws_node *body = fws_node_get(m, "body");
      if (!type || !fws_ld_expect_scalar(ld, type, "an example message 'type'")) {
        if (!type) fws_ld_error(ld, m->pos, "an example message needs 'type' (a message id)");
        continue;
      }
      if (!body) {
        fws_ld_error(ld, m->pos, "an example message needs 'body'");
        continue;
      }
      const fws_message *msg = find_message(ch, type->str);
      if (!msg) {
        const char *near = closest_message(ch, type->str);
        char hint[160] = "";
        if (near) snprintf(hint, sizeof hint, " (did you mean '%s'?)", near);
        docs_only(ld, type->pos, "example message type '%s' is not a message of this channel%s", type->str, hint);
        continue;
      }
      fws_example_message *em = &ex->messages[ex->nmessages++];
      em->type = type->str;
      em->message = msg;
      em->body = body;
      em->pos = m->pos;
    }
  }
}

/* The place of the character at `off` in a one-line scalar (a quoted one starts a column later). */
static fws_pos at_offset(const fws_node *n, size_t off) {
  fws_pos pos = n->pos;
  if (!memchr(n->str, '\n', n->len)) pos.col += (uint32_t)off + (n->plain ? 0 : 1);
  return pos;
}

/* `{name}` placeholders of the path against the declared path parameters, both ways. */
static void check_path(fws_loader *ld, fws_channel *ch, const fws_node *path_node) {
  const char *p = ch->path;
  if (path_node->kind != FWS_NODE_SCALAR) return;
  for (const char *c = p; *c; c++) {
    if (*c == '}') {
      fws_ld_error(ld, at_offset(path_node, (size_t)(c - p)), "path: '}' without '{' in '%s'", p);
      return;
    }
    if (*c != '{') continue;
    const char *end = strchr(c, '}');
    if (!end || end == c + 1) {
      fws_ld_error(ld, at_offset(path_node, (size_t)(c - p)), "path: '{' is not closed by '}' in '%s'", p);
      return;
    }
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(end - c - 1), c + 1);
    if (!find_param(ch->path_params, ch->npath_params, name) &&
        !find_param(ld->api->path_params, ld->api->npath_params, name))
      inconsistent(ld, at_offset(path_node, (size_t)(c - p)),
                   "path parameter '{%s}' in the path is not declared in path-parameters%s", name, "");
    c = end;
  }
  for (size_t i = 0; i < ch->npath_params; i++) {
    const fws_param *pp = &ch->path_params[i];
    char placeholder[160];
    snprintf(placeholder, sizeof placeholder, "{%s}", pp->name);
    if (!strstr(p, placeholder))
      docs_only(ld, pp->pos, "path parameter '%s' is declared but the path '%s' has no such placeholder", pp->name,
                p);
  }
}

void fws_ld_channel(fws_loader *ld, fws_file *file, const fws_node *n) {
  fws_api *api = ld->api;
  fws_ld_known_keys(ld, n, "'channel'", channel_keys);
  fws_channel *ch = fws_ld_alloc(ld, sizeof *ch);
  ch->source = file;
  ch->file = file->path;
  ch->pos = n->pos;
  ch->name = file->package[0] ? file->package : "api";
  const fws_node *path = fws_node_get(n, "path");
  if (!path) fws_ld_error(ld, n->pos, "a channel needs a 'path'");
  ch->path = fws_ld_opt_str(ld, n, "path");
  if (!ch->path) ch->path = "/";
  const fws_node *auth = fws_node_get(n, "auth");
  if (!auth) fws_ld_error(ld, n->pos, "a channel needs 'auth' (true to use api.yml's auth, or false)");
  ch->auth = fws_ld_opt_bool(ld, n, "auth", 0);
  if (ch->auth && !api->nauth)
    fws_ld_warn(ld, auth->pos, "auth: true, but api.yml declares no 'auth': nothing will be sent");
  ch->url = fws_ld_opt_str(ld, n, "url");
  ch->docs = fws_ld_opt_str(ld, n, "docs");
  ch->display_name = fws_ld_opt_str(ld, n, "display-name");
  fws_ld_params(ld, file, fws_ld_section(n, "headers"), "header", &ch->headers, &ch->nheaders);
  fws_ld_params(ld, file, fws_ld_section(n, "path-parameters"), "path parameter", &ch->path_params,
                &ch->npath_params);
  fws_ld_params(ld, file, fws_ld_section(n, "query-parameters"), "query parameter", &ch->query, &ch->nquery);
  for (size_t i = 0; i < ch->npath_params; i++) ch->path_params[i].required = 1;
  read_messages(ld, file, ch, fws_ld_section(n, "messages"));
  read_examples(ld, ch, fws_ld_section(n, "examples"));
  if (path) check_path(ld, ch, path);

  if (ch->url) {
    int found = 0, multi = 0;
    for (size_t i = 0; i < api->nenvironments; i++)
      for (size_t j = 0; j < api->environments[i].nurls; j++) {
        multi = 1;
        found |= strcmp(api->environments[i].urls[j].id, ch->url) == 0;
      }
    if (!found)
      fws_ld_error(ld, fws_node_get(n, "url")->pos,
                   multi ? "channel url '%s' is not a URL id of any environment"
                         : "channel url '%s' needs an environment with 'urls' (none has them)",
                   ch->url);
  }
  const fws_node *am = fws_ld_section(n, "auth-message");
  if (am && fws_ld_expect_map(ld, am, "'auth-message'")) {
    static const char *const keys[] = {"message-id", "token-property-path", NULL};
    fws_ld_known_keys(ld, am, "'auth-message'", keys);
    ch->auth_message_id = fws_ld_opt_str(ld, am, "message-id");
    ch->auth_token_path = fws_ld_opt_str(ld, am, "token-property-path");
    const fws_message *m = ch->auth_message_id ? find_message(ch, ch->auth_message_id) : NULL;
    if (!ch->auth_message_id || !ch->auth_token_path)
      fws_ld_error(ld, am->pos, "'auth-message' needs 'message-id' and 'token-property-path'");
    else if (!m || m->origin != FWS_ORIGIN_CLIENT)
      fws_ld_error(ld, fws_node_get(am, "message-id")->pos, "auth-message: '%s' is not a client message of this channel",
                   ch->auth_message_id);
  }
  fws_ld_push(ld, &ld->channels, ch);
}
