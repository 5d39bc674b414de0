use actix_web::{HttpResponse, web};

use crate::app::App;

/// The process is up.
pub async fn alive() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok\n")
}

/// The database and the object store answer.
pub async fn ready(app: web::Data<App>) -> HttpResponse {
    let db = app.db.ping().await;
    let store = app.store.ping().await;
    let line = |name: &str, r: &Result<(), String>| match r {
        Ok(()) => format!("{name}: ok\n"),
        Err(e) => format!("{name}: unavailable ({e})\n"),
    };
    let db = db.map_err(|e| e.to_string());
    let store = store.map_err(|e| e.to_string());
    let body = line("database", &db) + &line("storage", &store);
    let mut resp =
        if db.is_ok() && store.is_ok() { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() };
    resp.content_type("text/plain; charset=utf-8").body(body)
}
