//! A request body handed to the media service. Actix's body streams are tied to their worker
//! thread, and the service's are not, so the body is read here and passed through a small
//! channel: at most a few chunks are in memory, whatever the body's size.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::media::ByteStream;

/// The body as a stream the service can take, and the future that feeds it; run both
/// together. A body the service stops reading (it refused it) is still drained to its end.
pub fn relay<S, E>(mut source: S) -> (ByteStream, impl Future<Output = ()>)
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let body: ByteStream =
        Box::pin(futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|item| (item, rx)) },
        ));
    let pump = async move {
        let mut tx = Some(tx);
        while let Some(chunk) = source.next().await {
            let chunk = chunk.map_err(|e| std::io::Error::other(e.to_string()));
            let failed = chunk.is_err();
            if let Some(t) = &tx
                && t.send(chunk).await.is_err()
            {
                tx = None; // the service stopped reading; keep draining
            }
            if failed {
                break;
            }
        }
    };
    (body, pump)
}
