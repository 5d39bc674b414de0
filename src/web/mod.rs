//! HTTP: routes, middleware, handlers and templates. Handlers call the media and account
//! services; no SQL and no SDK calls here.

mod anonymous;
mod api;
mod assets;
pub mod back;
mod bearer;
pub mod context;
mod ended;
pub mod error;
pub mod extract;
mod guard;
mod health;
pub mod pages;
mod relay;
mod settings;
pub mod sound;
pub mod stash;
pub mod view;

use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::SameSite;
use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::http::{Method, header};
use actix_web::middleware::{DefaultHeaders, NormalizePath, TrailingSlash, from_fn};
use actix_web::{App as ActixApp, HttpRequest, HttpResponse, HttpServer, web};
use subtle::ConstantTimeEq;

use actix_web::error::UrlencodedError;

use self::error::WebError;
use self::pages::{
    account_tokens, accounts, alike, alike_groups, audit, bulk_delete, bulk_edit, collections, crop, detail,
    duplicates, files, focal, gallery, queue, regions, replace, share_form, shared, shares, sign_on, signin,
    tags, texts, tokens, trash, tus, upload, upload_link, viewer, zip,
};
use crate::app::App;
pub use settings::WebSettings;

/// Ordinary forms are small; the transcript (100 000 characters) is the largest field.
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// Registers every route.
pub fn configure(app: App, settings: WebSettings) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        if settings.metrics {
            cfg.route("/metrics", web::get().to(metrics));
        }
        cfg.app_data(web::Data::new(app))
            .app_data(web::Data::new(settings))
            .app_data(web::FormConfig::default().limit(MAX_FORM_BYTES).error_handler(|e, _| match e {
                UrlencodedError::Overflow { .. } => {
                    WebError::TooLarge("This form is too large.".into()).into()
                }
                UrlencodedError::Payload(e) if guard::is_idle_timeout(&e) => WebError::RequestTimeout.into(),
                other => WebError::BadRequest(format!("The form could not be read: {other}")).into(),
            }))
            .app_data(
                web::QueryConfig::default().error_handler(|e, _| {
                    WebError::BadRequest(format!("The address is malformed: {e}")).into()
                }),
            )
            .app_data(web::JsonConfig::default().limit(MAX_FORM_BYTES).error_handler(|e, _| {
                WebError::BadRequest(format!("The JSON could not be read: {e}")).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|_, _| WebError::NotFound.into()))
            .route("/", web::get().to(|| async { signin::see_other("/media") }))
            .route("/healthz", web::get().to(health::alive))
            .route("/readyz", web::get().to(health::ready))
            .route("/static/{name}", web::get().to(assets::serve))
            // Browsers ask for it whether or not a page names an icon.
            .route("/favicon.ico", web::get().to(|| async { signin::see_other("/static/favicon.svg") }))
            .route("/signin", web::get().to(signin::form))
            .route("/signin", web::post().to(signin::submit))
            .route("/signin/sso", web::get().to(sign_on::start))
            .route(sign_on::RETURN_PATH, web::get().to(sign_on::done))
            .route(sign_on::BACK_CHANNEL_PATH, web::post().to(sign_on::back_channel))
            .route("/signout", web::post().to(signin::sign_out))
            .route("/signout", web::get().to(|| async { signin::see_other("/media") }))
            .route("/api/{tail:.*}", web::method(Method::OPTIONS).to(api::cors::preflight))
            .route("/api/v1/media", web::get().to(api::list))
            .route("/api/v1/media/{kind}/{id}", web::get().to(api::item))
            .route("/api/v1/media/{kind}/{id}", web::patch().to(api::patch))
            .route("/api/v1/media/{kind}/{id}", web::delete().to(api::delete))
            .route("/api/v1/media/{kind}/{id}/restore", web::post().to(api::restore))
            .route("/api/v1/media/{kind}/{id}/file", web::put().to(api::replace))
            .route("/api/v1/media/{kind}/{id}/turn", web::post().to(api::turn))
            .route("/api/v1/media/{kind}/{id}/crop", web::post().to(api::crop))
            .route("/api/v1/media/{kind}/{id}/versions", web::get().to(api::versions))
            .route("/api/v1/media/{kind}/{id}/alike", web::get().to(api::alike))
            .route("/api/v1/media/{kind}/{id}/versions/{version}/restore", web::post().to(api::roll_back))
            .route("/api/v1/media/{kind}/{id}/shares", web::get().to(api::shares))
            .route("/api/v1/media/{kind}/{id}/shares", web::post().to(api::create_share))
            .route("/api/v1/shares", web::get().to(api::all_shares))
            .route("/api/v1/shares/{id}", web::delete().to(api::revoke_share))
            .route("/api/v1/collections", web::get().to(api::collections))
            .route("/api/v1/collections", web::post().to(api::create_collection))
            .route("/api/v1/collections/{id}", web::get().to(api::collection))
            .route("/api/v1/collections/{id}", web::patch().to(api::change_collection))
            .route("/api/v1/collections/{id}", web::delete().to(api::delete_collection))
            .route("/api/v1/tags", web::get().to(api::tags))
            .route("/api/v1/alike-groups", web::get().to(api::alike_groups))
            .route("/api/v1/alike-groups/keep", web::post().to(api::keep_alike))
            .route("/api/v1/alike-groups/apart", web::post().to(api::keep_apart))
            .route("/api/v1/alike-groups/alike-again", web::post().to(api::alike_again))
            .route("/api/v1/openapi.json", web::get().to(api::openapi))
            .route("/media", web::get().to(gallery::all))
            .route("/media/system", web::get().to(gallery::system))
            .route("/media/users/{id}", web::get().to(gallery::of_user))
            .route("/media/bulk", web::post().to(bulk_delete::bulk))
            .route("/media/bulk", web::get().to(|| async { signin::see_other("/media") }))
            .route("/media/zip", web::post().to(zip::selection))
            .route("/media/zip", web::get().to(|| async { signin::see_other("/media") }))
            .route("/media/bulk/edit", web::post().to(bulk_edit::edit))
            .route("/media/bulk/edit", web::get().to(|| async { signin::see_other("/media") }))
            .route("/media/{kind}/{id}", web::get().to(detail::show))
            .route("/media/{kind}/{id}/view", web::get().to(viewer::show))
            .route("/media/{kind}/{id}/transcript", web::post().to(texts::transcript))
            .route("/media/{kind}/{id}/transcript", web::get().to(detail::to_item))
            .route("/media/{kind}/{id}/share", web::post().to(share_form::create))
            .route("/media/{kind}/{id}/share", web::get().to(detail::to_item))
            .route("/media/{kind}/{id}/alike", web::post().to(alike::mark))
            .route("/media/{kind}/{id}/alike", web::get().to(detail::to_item))
            .route("/media/{kind}/{id}/shares/revoke", web::post().to(shares::revoke_item))
            .route("/media/{kind}/{id}/shares/revoke", web::get().to(detail::to_item))
            .route("/shares", web::get().to(shares::list))
            .route("/shares/revoke-all", web::post().to(shares::revoke_all))
            .route("/shares/revoke-all", web::get().to(|| async { signin::see_other("/shares") }))
            .route("/shares/{id}/revoke", web::post().to(shares::revoke))
            .route("/shares/{id}/revoke", web::get().to(|| async { signin::see_other("/shares") }))
            .route("/tokens", web::get().to(tokens::list))
            .route("/tokens", web::post().to(tokens::create))
            .route("/tokens/sign-on", web::get().to(sign_on::link))
            .route("/tokens/sign-on/{id}/unlink", web::post().to(sign_on::unlink))
            .route("/tokens/sign-on/{id}/unlink", web::get().to(|| async { signin::see_other("/tokens") }))
            .route("/tokens/{id}/revoke", web::post().to(tokens::revoke))
            .route("/tokens/{id}/revoke", web::get().to(|| async { signin::see_other("/tokens") }))
            .route("/s/{token}", web::get().to(shared::show))
            .route("/s/{token}", web::post().to(shared::unlock))
            .route("/s/{token}/file", web::get().to(shared::file))
            .route("/s/{token}/download", web::get().to(shared::download))
            .route("/s/{token}/download/sized", web::get().to(shared::download_sized))
            .route("/media/{kind}/{id}/describe", web::post().to(texts::describe))
            .route("/media/{kind}/{id}/regions", web::post().to(regions::add))
            .route("/media/{kind}/{id}/regions", web::get().to(detail::to_item))
            .route("/media/{kind}/{id}/regions/{region}", web::post().to(regions::update))
            .route("/media/{kind}/{id}/regions/{region}/delete", web::post().to(regions::delete))
            .route("/media/{kind}/{id}/describe", web::get().to(detail::to_item))
            .route("/media/{kind}/{id}/tags", web::post().to(tags::add))
            .route("/media/{kind}/{id}/tags/remove", web::post().to(tags::remove))
            .route("/media/{kind}/{id}/tags", web::get().to(detail::to_item))
            .route("/media/{kind}/{id}/tags/remove", web::get().to(detail::to_item))
            .route("/media/{kind}/{id}/collections", web::post().to(collections::add_item))
            .route("/media/{kind}/{id}/collections/remove", web::post().to(collections::remove_item))
            .route("/media/{kind}/{id}/collections", web::get().to(detail::to_item))
            .route("/media/{kind}/{id}/collections/remove", web::get().to(detail::to_item))
            .route("/describe", web::get().to(queue::show))
            .route("/describe", web::post().to(queue::save))
            .route("/collections", web::get().to(collections::list))
            .route("/collections", web::post().to(collections::create))
            .route("/collections/{id}", web::get().to(collections::show))
            .route("/collections/{id}/edit", web::get().to(collections::edit))
            .route("/collections/{id}/rename", web::post().to(collections::rename))
            .route("/collections/{id}/move", web::post().to(collections::move_to))
            .route("/collections/{id}/delete", web::get().to(collections::confirm_delete))
            .route("/collections/{id}/delete", web::post().to(collections::delete))
            .route("/collections/{id}/zip", web::get().to(zip::collection))
            .route(
                "/collections/{id}/{action}",
                web::get().to(|path: web::Path<(i64, String)>| async move {
                    signin::see_other(&format!("/collections/{}", path.0))
                }),
            )
            .route("/media/{kind}/{id}/replace", web::post().to(replace::replace))
            .route("/media/{kind}/{id}/replace/link", web::post().to(replace::replace_from_link))
            .route("/media/{kind}/{id}/replace", web::get().to(detail::to_item))
            .route("/media/{kind}/{id}/turn", web::post().to(replace::turn))
            .route("/media/{kind}/{id}/turn", web::get().to(detail::to_item))
            .route("/media/{kind}/{id}/crop", web::post().to(crop::crop))
            .route("/media/{kind}/{id}/crop", web::get().to(detail::to_item))
            .route("/media/{kind}/{id}/focal", web::post().to(focal::focal))
            .route("/media/{kind}/{id}/focal", web::get().to(detail::to_item))
            .route("/media/{kind}/{id}/versions/{version}/restore", web::post().to(replace::restore_version))
            .route(
                "/media/{kind}/{id}/versions/{version}/restore",
                web::get().to(|path: web::Path<(String, i64, i64)>| async move {
                    signin::see_other(&format!("/media/{}/{}", path.0, path.1))
                }),
            )
            .route("/duplicates", web::get().to(duplicates::show))
            .route("/duplicates", web::post().to(duplicates::keep_one))
            .route("/duplicates/alike", web::get().to(alike_groups::show))
            .route("/duplicates/alike", web::post().to(alike_groups::keep))
            .route("/trash", web::get().to(trash::show))
            .route("/trash", web::post().to(trash::act))
            .route("/trash/empty", web::get().to(trash::confirm_empty))
            .route("/trash/empty", web::post().to(trash::empty))
            .route("/media/{kind}/{id}/delete", web::get().to(detail::confirm_delete))
            .route("/media/{kind}/{id}/delete", web::post().to(detail::delete))
            .route("/upload", web::get().to(upload::form))
            .route("/upload", web::post().to(upload::submit))
            .route("/upload/link", web::post().to(upload_link::submit))
            .route("/upload/hint/{kind}/{id}", web::get().to(upload::hint))
            .route("/upload", web::method(Method::OPTIONS).to(api::cors::preflight))
            .route("/uploads/tus", web::method(Method::OPTIONS).to(tus::options))
            .route("/uploads/tus", web::post().to(tus::create))
            .route("/uploads/tus/{id}", web::method(Method::OPTIONS).to(tus::options))
            .route("/uploads/tus/{id}", web::head().to(tus::status))
            .route("/uploads/tus/{id}", web::patch().to(tus::append))
            .route("/uploads/tus/{id}", web::delete().to(tus::terminate))
            .route("/files/{key:.+}", web::get().to(files::serve))
            .route("/admin/audit", web::get().to(audit::show))
            .route("/admin/users", web::get().to(accounts::list))
            .route("/admin/users", web::post().to(accounts::create))
            .route("/admin/users/{id}/role", web::post().to(accounts::set_role))
            .route("/admin/users/{id}/password", web::post().to(accounts::reset_password))
            .route("/admin/users/{id}/quota", web::post().to(accounts::set_quota))
            .route("/admin/users/{id}/disable", web::post().to(accounts::disable))
            .route("/admin/users/{id}/tokens", web::get().to(account_tokens::show))
            .route("/admin/users/{id}/tokens/{token}/revoke", web::post().to(account_tokens::revoke))
            .route(
                "/admin/users/{id}/tokens/{token}/revoke",
                web::get().to(|path: web::Path<(i64, i64)>| async move {
                    signin::see_other(&format!("/admin/users/{}/tokens", path.0))
                }),
            )
            .route("/admin/users/{id}/tokens/revoke", web::post().to(accounts::revoke_tokens))
            .route(
                "/admin/users/{id}/tokens/revoke",
                web::get().to(|| async { signin::see_other("/admin/users") }),
            )
            .route("/admin/users/{id}/sign-on/unlink", web::post().to(accounts::unlink_sign_ons))
            .route(
                "/admin/users/{id}/sign-on/unlink",
                web::get().to(|| async { signin::see_other("/admin/users") }),
            )
            .route("/admin/users/{id}/enable", web::post().to(accounts::enable))
            // A GET of an address only forms post to (a bookmark, a reload) goes to its page.
            .route(
                "/admin/users/{id}/{action}",
                web::get().to(|| async { signin::see_other("/admin/users") }),
            );
    }
}

/// Prometheus metrics, for a scraper that bears the token when one is configured.
async fn metrics(req: HttpRequest, settings: web::Data<WebSettings>) -> HttpResponse {
    if let Some(token) = &settings.metrics_token {
        let offered = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(offered.as_bytes().ct_eq(token.as_bytes())) {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\""))
                .content_type("text/plain; charset=utf-8")
                .body("a bearer token is required\n");
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::METRICS.render())
}

/// `/metrics` alone on an address of its own (`MEDIADESK_METRICS_BIND`), e.g. one only the
/// monitoring network reaches.
pub fn metrics_server(settings: WebSettings, listener: TcpListener) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        ActixApp::new()
            .app_data(web::Data::new(settings.clone()))
            .route("/metrics", web::get().to(metrics))
            .default_service(web::to(HttpResponse::NotFound))
    })
    .workers(1)
    .listen(listener)?;
    Ok(server.run())
}

/// No such address: the error page, with the navigation when someone is signed in.
async fn not_found(_signed_in: Option<extract::CurrentUser>) -> HttpResponse {
    if context::wants_json() {
        return error::json_error(StatusCode::NOT_FOUND, "not_found", WebError::NotFound.to_string(), None);
    }
    error::error_page(StatusCode::NOT_FOUND, WebError::NotFound.to_string())
}

/// How the HTTP server runs.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// Worker threads; one per core when `None`.
    pub workers: Option<usize>,
    /// After SIGTERM/SIGINT, in-flight requests get this long to finish; then they are dropped,
    /// which removes their spool files.
    pub shutdown_timeout: std::time::Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions { workers: None, shutdown_timeout: std::time::Duration::from_secs(30) }
    }
}

/// The app as one worker uses it: with a database pool of its own, or (should one not open,
/// which the process's own did) the shared one.
fn worker_app(app: &App) -> App {
    app.for_worker().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "this worker shares the process's database pool");
        app.clone()
    })
}

/// Starts the HTTP server on `listener` (port 0 in tests).
pub fn server(
    app: App,
    settings: WebSettings,
    listener: TcpListener,
    options: ServerOptions,
) -> std::io::Result<Server> {
    let mut server = HttpServer::new(move || {
        let session =
            SessionMiddleware::builder(CookieSessionStore::default(), settings.session_key.clone())
                .cookie_name("mediadesk_session".into())
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_secure(settings.secure_cookies)
                .cookie_content_security(CookieContentSecurity::Private)
                .session_lifecycle(PersistentSession::default().session_ttl(
                    actix_web::cookie::time::Duration::seconds(settings.session_limits.lifetime),
                ))
                .build();
        let headers = DefaultHeaders::new()
            .add(("Content-Security-Policy", settings.csp()))
            .add(("X-Content-Type-Options", "nosniff"))
            .add(("X-Frame-Options", "DENY"))
            .add(("Referrer-Policy", "same-origin"))
            .add(("Cross-Origin-Opener-Policy", "same-origin"));
        ActixApp::new()
            .wrap(from_fn(ended::middleware))
            .wrap(from_fn(guard::middleware))
            .wrap(session)
            .wrap(headers)
            .wrap(NormalizePath::new(TrailingSlash::Trim))
            .wrap(from_fn(api::cors::middleware))
            .wrap(from_fn(context::middleware))
            .configure(configure(worker_app(&app), settings.clone()))
            .default_service(web::to(not_found))
    })
    .listen(listener)?
    .shutdown_timeout(options.shutdown_timeout.as_secs());
    if let Some(n) = options.workers {
        server = server.workers(n);
    }
    Ok(server.run())
}
