/* cm-server.h — the HTTP grouping service (`casemix serve`): one episode
 * or a batch in, groups (and payment, when a policy is loaded) out, with
 * the grouping trace and why-not on request.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Endpoints, limits and the JSON shapes are in docs/api.md. The schemes
 * (and the policy) are loaded once and shared read-only by every
 * connection. Requests are served by a few worker threads, each with its
 * own main loop, libsoup server and grouping contexts, all listening on
 * the same port (SO_REUSEPORT: the kernel spreads connections); nothing
 * is locked on the request path except the access log. */
#pragma once

#include <stdio.h>
#include <glib.h>
#include "cm-scheme.h"
#include "cm-policy.h"

G_BEGIN_DECLS

#define CM_SERVER_ERROR (cm_server_error_quark ())
typedef enum {
  CM_SERVER_ERROR_LISTEN,   /* the address cannot be bound */
  CM_SERVER_ERROR_OPTION,   /* an option out of range */
} CmServerError;

CM_API GQuark cm_server_error_quark (void);

typedef struct {
  const char *bind_address;   /* "127.0.0.1" when NULL */
  guint port;                 /* 0: a free port (cm_server_get_port) */
  guint n_threads;            /* 0: one per core, at most 16 */
  const char *token;          /* (nullable): bearer token required on every
                               * endpoint but /v1/health */
  gsize max_body_bytes;       /* POST /v1/group body; 0: 1 MiB */
  gsize max_batch_bytes;      /* POST /v1/group:batch body; 0: 64 MiB */
  guint max_batch_episodes;   /* episodes per batch; 0: 100 000 */
  guint time_limit_ms;        /* per request; 0: 60 000 */
  FILE *access_log;           /* (nullable): one JSON line per request */
} CmServerOptions;

typedef struct _CmServer CmServer;

/**
 * cm_server_new:
 * @options: (nullable): options, NULL for the defaults
 *
 * Returns: (transfer full): a server with no scheme yet.
 */
CM_API CmServer *cm_server_new (const CmServerOptions *options);
CM_API void cm_server_free (CmServer *server);

/* Adds a scheme (a reference is taken); the first one added is the
 * default of requests that name none. Before cm_server_start only. */
CM_API void cm_server_add_scheme (CmServer *server, CmScheme *scheme);

/**
 * cm_server_set_policy:
 * @server: a server, not started
 * @policy: (nullable): a loaded policy (a reference is taken);
 *   every grouped episode is then also priced (docs/api.md §3)
 *
 * Returns: FALSE with @error when the policy cannot price (options it
 *   lacks).
 */
CM_API gboolean cm_server_set_policy (CmServer *server, CmPolicy *policy,
                                      GError **error);

/**
 * cm_server_start:
 * @server: a server with at least one scheme
 * @error: CM_SERVER_ERROR_LISTEN naming the address
 *
 * Binds, starts the worker threads and returns once every one listens.
 *
 * Returns: TRUE when serving.
 */
CM_API gboolean cm_server_start (CmServer *server, GError **error);

/* The port actually bound (after cm_server_start). */
CM_API guint cm_server_get_port (const CmServer *server);

/**
 * cm_server_stop:
 * @server: a started server
 *
 * Graceful stop, callable from any thread: requests in progress (batches
 * included) are finished, later responses say `Connection: close`, then
 * the listeners close. cm_server_wait() returns when that is done, at the
 * latest after the time limit.
 */
CM_API void cm_server_stop (CmServer *server);

/* Blocks until the server has stopped (runs nothing itself). */
CM_API void cm_server_wait (CmServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmServer, cm_server_free)

G_END_DECLS
