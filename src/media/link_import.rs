//! Adding a file from a link (Directus' and Strapi's "import from URL"): the server fetches the
//! link and streams the answer through the one upload pipeline, so the file is sniffed, sized,
//! counted against the quota and checked exactly as an upload is, and a fetch that breaks off
//! leaves nothing behind. What the fetch may reach is [`super::public_net`]'s rule, checked
//! where it cannot be dodged: on every address a name resolves to (the connection uses only
//! those, so a name that answers differently the second time gains nothing), on addresses
//! written into the link, and on every redirect. No proxy from the environment is used, as it
//! would resolve names where the rule cannot see.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::redirect::Policy;
use reqwest::{Url, header};

use super::public_net::Reachable;
use super::{Actor, MediaError, MediaRead, MediaService, Replaced, Upload, filename};
use crate::domain::{AuditAction, MediaKind};

/// Redirects followed before the link is given up on (browsers allow 20; media links use 1–2).
const MAX_REDIRECTS: usize = 5;
/// Longest link accepted, in bytes.
const MAX_LINK_BYTES: usize = 2048;
/// How long a fetch may take in all: a file at the upload limit over a slow line.
const WHOLE_FETCH: Duration = Duration::from_secs(30 * 60);

/// How links are fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkImport {
    /// Off (`MEDIADESK_LINK_IMPORT=off`): the upload page offers no link and imports are refused.
    pub enabled: bool,
    pub reachable: Reachable,
    /// How long the other server may fall silent, while connecting or sending.
    pub idle_timeout: Duration,
    /// Links this process fetches at once (`MEDIADESK_LINK_IMPORT_CONCURRENCY`); more wait
    /// their turn. Whoever may upload should not be able to turn the server into many
    /// simultaneous downloads from one site, nor fill its bandwidth.
    pub concurrency: usize,
}

impl Default for LinkImport {
    fn default() -> LinkImport {
        LinkImport {
            enabled: true,
            reachable: Reachable::default(),
            idle_timeout: Duration::from_secs(30),
            concurrency: 4,
        }
    }
}

/// Why a link may not be fetched; found in a failed fetch's causes, it tells a refusal of the
/// link from a failure of the other server.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct NotReachable(String);

const INSIDE: &str = "is inside this server's network, which links may not reach";

/// The link, if it is one the server may fetch as it stands: http or https, a host, and no
/// address outside the rule (a name's addresses are checked as it is resolved).
fn usable(url: &Url, reachable: &Reachable) -> Result<(), NotReachable> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(NotReachable("only http:// and https:// links can be fetched".into()));
    }
    let ip = match url.host() {
        None => return Err(NotReachable("the link names no server".into())),
        Some(url::Host::Domain(_)) => return Ok(()),
        Some(url::Host::Ipv4(ip)) => ip.into(),
        Some(url::Host::Ipv6(ip)) => ip.into(),
    };
    if reachable.admits(ip) { Ok(()) } else { Err(NotReachable(format!("the address {ip} {INSIDE}"))) }
}

/// Resolves names as the system does, keeping only the addresses the rule admits.
struct Resolver(Reachable);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let reachable = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<_> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let admitted: Vec<_> = found.iter().copied().filter(|a| reachable.admits(a.ip())).collect();
            if admitted.is_empty() && !found.is_empty() {
                return Err(NotReachable(format!("{host} {INSIDE}")).into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(admitted.into_iter());
            Ok(addrs)
        })
    }
}

fn client(settings: &LinkImport) -> Result<reqwest::Client, MediaError> {
    let reachable = settings.reachable.clone();
    let redirects = Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt
                .error(NotReachable(format!("the link redirects more than {MAX_REDIRECTS} times")));
        }
        match usable(attempt.url(), &reachable) {
            Ok(()) => attempt.follow(),
            Err(why) => attempt.error(why),
        }
    });
    reqwest::Client::builder()
        .no_proxy()
        .dns_resolver(Arc::new(Resolver(settings.reachable.clone())))
        .redirect(redirects)
        .connect_timeout(settings.idle_timeout)
        .read_timeout(settings.idle_timeout)
        .timeout(WHOLE_FETCH)
        .user_agent(concat!("Mediadesk/", env!("CARGO_PKG_VERSION"), " (fetching a link a user added)"))
        .build()
        .map_err(|e| MediaError::Internal(format!("link client: {e}")))
}

/// A failed fetch as the user can act on it: a refused link, or what the other server did
/// (`host`: the server answering, when the error's own link is gone, as in a body's).
fn fetch_error(e: &reqwest::Error, host: Option<&str>) -> MediaError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(refused) = c.downcast_ref::<NotReachable>() {
            return MediaError::SourceLink(refused.0.clone());
        }
        cause = c.source();
    }
    let host = e.url().and_then(|u| u.host_str()).or(host).unwrap_or("the other server").to_owned();
    MediaError::Fetch(if e.is_timeout() {
        format!("{host} took too long to answer; nothing was saved")
    } else if e.is_connect() {
        format!("could not connect to {host}; nothing was saved")
    } else {
        format!("could not fetch the link from {host}; nothing was saved")
    })
}

/// The file's name: the one the other server gives (`Content-Disposition`), else the link's
/// last path segment, else the server's name.
fn name_of(res: &reqwest::Response) -> String {
    let given = res
        .headers()
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(filename::from_disposition);
    let url = res.url();
    let from_path = || {
        let last = url.path_segments()?.rev().find(|s| !s.is_empty())?;
        let decoded = percent_encoding::percent_decode_str(last).decode_utf8().ok()?;
        Some(decoded.into_owned())
    };
    given.or_else(from_path).unwrap_or_else(|| url.host_str().unwrap_or("download").to_owned())
}

/// A link as the audit log keeps it: without a password, a query (a presigned link's
/// signature) or a fragment, and at most 300 characters.
fn for_the_log(link: &str) -> String {
    let shown = match Url::parse(link.trim()) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => link.trim().to_owned(),
    };
    shown.chars().take(300).collect()
}

/// Counts a link import's outcome for `/metrics`: refused or failed as such; anything else
/// once the upload had the answer (whatever it then said), and nothing for a failure of ours
/// before any request.
fn count(result: Result<(), &MediaError>) {
    use std::sync::atomic::Ordering::Relaxed;
    let m = &crate::metrics::METRICS;
    let counter = match result {
        Err(MediaError::SourceLink(_)) => &m.links_refused,
        Err(MediaError::Fetch(_)) => &m.links_failed,
        _ => &m.links_fetched,
    };
    counter.fetch_add(1, Relaxed);
}

/// What the pipeline fed by a fetch answered, counted: a break in the middle reaches it as an
/// interrupted upload, which what the stream saw tells apart.
fn told_apart<T>(result: Result<T, MediaError>, broke: &Mutex<Option<MediaError>>) -> Result<T, MediaError> {
    let result = match (result, broke.lock().unwrap_or_else(|p| p.into_inner()).take()) {
        (Err(MediaError::Invalid(_)), Some(fetch)) => Err(fetch),
        (result, _) => result,
    };
    count(result.as_ref().map(|_| ()));
    result
}

/// A fetched answer, ready for the upload pipeline, where a break in it is recorded, and the
/// turn at fetching it holds.
type Fetched<'a> =
    (Upload, super::ByteStream, Arc<Mutex<Option<MediaError>>>, tokio::sync::SemaphorePermit<'a>);

impl MediaService {
    /// Fetches `link` and uploads what it answers for `upload`'s owner, named as the other server
    /// names it. The link is refused (`link`) when it is not http(s) or reaches inside this
    /// server's network, the fetch fails (`fetch`) when the other server is unreachable,
    /// answers an error or breaks off; everything else is the upload's own refusal.
    pub async fn add_from_link(
        &self,
        actor: &Actor,
        upload: Upload,
        link: &str,
    ) -> Result<MediaRead, MediaError> {
        if !self.settings.link_import.enabled {
            return Err(MediaError::Off("adding files from links is turned off on this server".into()));
        }
        actor.check_upload_for(upload.owner)?;
        let (upload, body, broke, _turn) = match self.fetch_link(upload, link.trim()).await {
            Ok(fetched) => fetched,
            Err(e) => {
                if let Some(refusal) = e.refusal() {
                    self.audit_refusal(actor, &for_the_log(link), refusal.code()).await;
                }
                if matches!(e, MediaError::SourceLink(_) | MediaError::Fetch(_)) {
                    count(Err(&e));
                }
                return Err(e);
            }
        };
        let result = self.upload(actor, upload, body).await;
        told_apart(result, &broke)
    }

    /// Fetches `link` and puts what it answers in place of the item's file, as a replace from
    /// a computer does (named as the other server names it, else the item keeps its name);
    /// refused and failed as [`MediaService::add_from_link`] is, before any fetch for someone
    /// who may not manage the item. Recorded as a replace from the link.
    pub async fn replace_from_link(
        &self,
        actor: &Actor,
        (kind, id): (MediaKind, i64),
        link: &str,
    ) -> Result<Replaced, MediaError> {
        if !self.settings.link_import.enabled {
            return Err(MediaError::Off("adding files from links is turned off on this server".into()));
        }
        let item = self.item(kind, id).await?;
        actor.check_manage(item.media.owner_id())?;
        let upload = Upload::new(item.media.owner(), "");
        let (upload, body, broke, _turn) = self.fetch_link(upload, link.trim()).await.inspect_err(|e| {
            if matches!(e, MediaError::SourceLink(_) | MediaError::Fetch(_)) {
                count(Err(e));
            }
        })?;
        let name = if upload.filename.trim().is_empty() { item.media.filename() } else { &upload.filename };
        let detail = format!("{} from {}", filename::clean(name), for_the_log(link));
        let record = (AuditAction::Replace, Some(detail));
        let result = self.replace_recorded(actor, (kind, id), upload, body, record, Some).await;
        told_apart(result, &broke)
    }

    async fn fetch_link(&self, mut upload: Upload, link: &str) -> Result<Fetched<'_>, MediaError> {
        let settings = &self.settings.link_import;
        let not_a_link =
            || MediaError::SourceLink("that is not a link: paste one starting with https://".into());
        if link.is_empty() || link.len() > MAX_LINK_BYTES {
            return Err(not_a_link());
        }
        let url = Url::parse(link).map_err(|_| not_a_link())?;
        usable(&url, &settings.reachable).map_err(|why| MediaError::SourceLink(why.0))?;
        // A link refused above waits for no turn; one taken is held until the upload has read
        // the whole answer.
        let turn = self.link_turns.acquire().await.map_err(|e| MediaError::Internal(e.to_string()))?;
        let client = match self.link_client.get() {
            Some(c) => c.clone(),
            None => {
                let made = client(settings)?;
                self.link_client.get_or_init(|| made).clone()
            }
        };
        let accept = "image/*, audio/*;q=0.9, */*;q=0.5";
        let res =
            client.get(url).header(header::ACCEPT, accept).send().await.map_err(|e| fetch_error(&e, None))?;
        let status = res.status();
        if !status.is_success() {
            let host = res.url().host_str().unwrap_or("the other server").to_owned();
            return Err(MediaError::Fetch(format!(
                "{host} answered {status} for this link; nothing was saved"
            )));
        }
        if upload.filename.is_empty() {
            upload.filename = name_of(&res);
        }
        upload.source = Some(for_the_log(link));
        upload.announced_size = res.content_length();
        let broke: Arc<Mutex<Option<MediaError>>> = Arc::default();
        let seen = broke.clone();
        let host = res.url().host_str().map(str::to_owned);
        let body = res.bytes_stream().map(move |chunk| {
            chunk.map_err(|e| {
                *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(fetch_error(&e, host.as_deref()));
                std::io::Error::other(e)
            })
        });
        Ok((upload, Box::pin(body), broke, turn))
    }
}

/// Made the first time a link is fetched; servers that never fetch one never load the
/// system's certificates for it.
pub(super) type LinkClient = Arc<OnceLock<reqwest::Client>>;
