use actix_web::{HttpResponse, web};

use crate::app::App;

/// The process is up.
pub async fn alive() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n")
}

/// The database and the object store answer. Which one does not is said; why goes to the log
/// only (the answer is public, and an error can name hosts).
pub async fn ready(app: web::Data<App>) -> HttpResponse {
    let ready = app.media.readiness().await;
    let line = |name: &str, r: &Result<(), String>| match r {
        Ok(()) => format!("{name}: ok\n"),
        Err(e) => {
            tracing::warn!(dependency = name, error = %e, "not ready");
            format!("{name}: unavailable\n")
        }
    };
    let body = line("database", &ready.database) + &line("storage", &ready.storage);
    let mut resp = if ready.database.is_ok() && ready.storage.is_ok() {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    resp.content_type("text/plain; charset=utf-8").body(body)
}
