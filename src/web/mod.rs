//! HTTP: routes and handlers. Handlers call the media service; no SQL or SDK calls here.

mod health;

use actix_web::web;

use crate::app::App;

/// Registers every route.
pub fn configure(app: App) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(app))
            .route("/healthz", web::get().to(health::alive))
            .route("/readyz", web::get().to(health::ready));
    }
}
