//! Single sign-on through an OpenID Connect provider: the authorization-code flow with PKCE, a
//! nonce and a state, and the ID token checked against the provider's published keys. Only the
//! provider's `iss` + `sub` name a person here (see the `sign_ons` migration); its names are
//! hints for a new account's username and for the account's page.
//!
//! The provider's metadata and keys are fetched when first needed, not at start, so a provider
//! that is down stops single sign-on only (password sign-in and the app go on), and are fetched
//! again after [`METADATA_LIFETIME`] so that a provider's new signing key is picked up.
//! Signing out of a session the provider signed in goes on to the provider's end-session
//! address (RP-Initiated Logout), so that a shared computer forgets the person there too.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClaimName, CoreClaimType,
    CoreClientAuthMethod, CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AdditionalProviderMetadata, AuthType, AuthorizationCode, ClientId,
    ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenFields, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    ProviderMetadata, RedirectUrl, Scope, StandardErrorResponse, StandardTokenResponse, SubjectIdentifier,
    TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

pub use super::oidc_claims::GroupRoles;
use super::oidc_claims::{claim, read_quota};
use super::{AuthError, Role};
use crate::domain::Quota;

/// The ID token's claims beyond the standard ones (a groups claim, say), kept to be read.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OtherClaims {
    #[serde(flatten)]
    all: HashMap<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

type Tokens = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// `CoreClient` reading [`OtherClaims`], as made from the provider's metadata.
type ProviderClient = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

const METADATA_LIFETIME: Duration = Duration::from_secs(600);
/// The longest name of a person kept from the provider.
const MAX_NAME_CHARS: usize = 200;
/// How long a provider may take to answer one request.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// What the deployment says about its provider.
#[derive(Clone, PartialEq, Eq)]
pub struct SignOnConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// How the sign-in page names the provider ("Sign in with …").
    pub label: String,
    /// Whether a person no account is linked to gets a new account (role `user`, or the one
    /// their groups name).
    pub create_accounts: bool,
    /// Scopes asked for besides `openid`, `profile` and `email` (`groups` for some providers).
    pub scopes: Vec<String>,
    pub roles: Option<GroupRoles>,
    /// The claim that sets the account's storage quota at every sign-on, when set (see
    /// `oidc_claims`).
    pub quota_claim: Option<String>,
    /// Whether the sign-in page sends a browser straight on to the provider.
    pub auto_sign_in: bool,
}

impl std::fmt::Debug for SignOnConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignOnConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("label", &self.label)
            .field("create_accounts", &self.create_accounts)
            .field("scopes", &self.scopes)
            .field("roles", &self.roles)
            .field("quota_claim", &self.quota_claim)
            .field("auto_sign_in", &self.auto_sign_in)
            .finish_non_exhaustive()
    }
}

/// A sign-on under way, kept in the (encrypted) session between leaving for the provider and
/// coming back: the answer must carry `state`, and the ID token `nonce`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub state: String,
    nonce: String,
    verifier: String,
    /// Where to go afterwards (a same-site path).
    pub next: String,
    /// The account to link the person to, when linking from the account's page.
    pub link_to: Option<i64>,
}

/// The person the provider vouched for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub issuer: String,
    pub subject: String,
    /// The provider's name for them (username, else e-mail, else name, else the subject).
    pub known_as: String,
    /// The role their groups name, when roles come from groups and the provider lists them.
    pub role: Option<Role>,
    /// The storage quota the provider gives them, when a quota claim is configured and the
    /// provider sends a value it reads. Applied by the sign-on it came with, so not kept in the
    /// session with a person waiting to be linked.
    #[serde(skip)]
    pub quota: Option<Quota>,
}

pub struct SignOn {
    pub config: SignOnConfig,
    http: reqwest::Client,
    metadata: Mutex<Option<Known>>,
    /// Logout tokens acted on, by their id (`jti`), with when they were issued: a token sent
    /// again is refused (see `oidc_logout`).
    pub(super) logouts_seen: std::sync::Mutex<HashMap<String, i64>>,
}

/// What the provider published, when it was read.
struct Known {
    at: Instant,
    metadata: Metadata,
}

/// Metadata beyond the core set `openidconnect` reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct LogoutMetadata {
    /// Where a browser ends its session at the provider (RP-Initiated Logout), if it says.
    end_session_endpoint: Option<String>,
}

impl AdditionalProviderMetadata for LogoutMetadata {}

/// `CoreProviderMetadata` with [`LogoutMetadata`].
type Metadata = ProviderMetadata<
    LogoutMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

fn unavailable(e: impl std::fmt::Display) -> AuthError {
    AuthError::ProviderUnavailable(e.to_string())
}

fn refused(e: impl std::fmt::Display) -> AuthError {
    AuthError::SignOnFailed(e.to_string())
}

impl SignOn {
    pub fn new(config: SignOnConfig) -> Result<SignOn, AuthError> {
        IssuerUrl::new(config.issuer.clone()).map_err(|e| AuthError::Invalid(format!("issuer: {e}")))?;
        let http = reqwest::Client::builder()
            // The provider's answers are followed by nobody: a redirect could point anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| AuthError::Internal(e.to_string()))?;
        Ok(SignOn { config, http, metadata: Mutex::new(None), logouts_seen: Default::default() })
    }

    /// The provider's metadata and keys, read again once they are old.
    async fn metadata(&self) -> Result<Metadata, AuthError> {
        self.read_metadata(METADATA_LIFETIME).await
    }

    /// The keys the provider publishes; with `reread`, read now (for a signature no key held
    /// fits: the provider may have new keys).
    pub(super) async fn published_keys(&self, reread: bool) -> Result<Vec<CoreJsonWebKey>, AuthError> {
        let lifetime = if reread { Duration::ZERO } else { METADATA_LIFETIME };
        Ok(self.read_metadata(lifetime).await?.jwks().keys().clone())
    }

    async fn read_metadata(&self, lifetime: Duration) -> Result<Metadata, AuthError> {
        let mut held = self.metadata.lock().await;
        if let Some(k) = held.as_ref()
            && k.at.elapsed() < lifetime
        {
            return Ok(k.metadata.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(unavailable)?;
        let fetched = Metadata::discover_async(issuer, &self.http).await.map_err(|e| {
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                why = format!("{why}: {s}");
                source = s.source();
            }
            unavailable(why)
        })?;
        *held = Some(Known { at: Instant::now(), metadata: fetched.clone() });
        Ok(fetched)
    }

    /// Where to send a browser signing out of a session the provider signed in, so that it
    /// signs out there too and comes back to `after` (registered at the provider as a
    /// post-logout redirect URI); `None` when the provider offers no such address or cannot
    /// be reached.
    pub async fn sign_out_url(&self, after: &str) -> Option<String> {
        let metadata = self.metadata().await.ok()?;
        let end = metadata.additional_metadata().end_session_endpoint.as_deref()?;
        let mut url = reqwest::Url::parse(end).ok().filter(|u| matches!(u.scheme(), "https" | "http"))?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.config.client_id)
            .append_pair("post_logout_redirect_uri", after);
        Some(url.to_string())
    }

    fn client(&self, metadata: Metadata, redirect: &str) -> Result<ProviderClient, AuthError> {
        let redirect =
            RedirectUrl::new(redirect.to_owned()).map_err(|e| AuthError::Internal(e.to_string()))?;
        // The secret goes in the Basic header, as the standard's default, unless the provider
        // says it takes it only in the form.
        let methods = metadata.token_endpoint_auth_methods_supported();
        let form_only = methods.is_some_and(|m| {
            m.contains(&CoreClientAuthMethod::ClientSecretPost)
                && !m.contains(&CoreClientAuthMethod::ClientSecretBasic)
        });
        let client = ProviderClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect);
        Ok(if form_only { client.set_auth_type(AuthType::RequestBody) } else { client })
    }

    /// Where to send the browser, and what to keep until it comes back to `redirect`.
    pub async fn begin(
        &self,
        redirect: &str,
        next: String,
        link_to: Option<i64>,
    ) -> Result<(String, Pending), AuthError> {
        let client = self.client(self.metadata().await?, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        let pending = Pending {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            next,
            link_to,
        };
        Ok((url.to_string(), pending))
    }

    /// The claims the provider's userinfo endpoint gives for `token`, about `subject` (checked);
    /// none when it has no such endpoint or does not answer, which changes nobody's role or
    /// quota, as a missing claim does.
    async fn user_info(
        &self,
        client: &ProviderClient,
        token: &AccessToken,
        subject: &SubjectIdentifier,
    ) -> HashMap<String, serde_json::Value> {
        let Ok(request) = client.user_info(token.clone(), Some(subject.clone())) else {
            return HashMap::new();
        };
        let answer: Result<UserInfoClaims<OtherClaims, CoreGenderClaim>, _> =
            request.request_async(&self.http).await;
        match answer {
            Ok(info) => info.additional_claims().all.clone(),
            Err(e) => {
                tracing::warn!(error = %e, "the provider's userinfo could not be read");
                HashMap::new()
            }
        }
    }

    /// Trades the provider's code for an ID token and checks it: signed by the provider's key,
    /// issued by it to this client, not expired, carrying the nonce of `pending`.
    pub async fn finish(&self, redirect: &str, pending: &Pending, code: &str) -> Result<Person, AuthError> {
        let client = self.client(self.metadata().await?, redirect)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(refused)?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r) => {
                    refused(format!("the provider refused the code: {}", r.error()))
                }
                other => unavailable(other),
            })?;
        let id_token = tokens.id_token().ok_or_else(|| refused("the provider sent no ID token"))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce.clone()))
            .map_err(|e| refused(format!("the provider's ID token does not hold: {e}")))?;
        let subject = claims.subject().as_str().to_owned();
        let known_as = claims
            .preferred_username()
            .map(|u| u.as_str().to_owned())
            .or_else(|| claims.email().map(|e| e.as_str().to_owned()))
            .or_else(|| claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned()))
            .unwrap_or_else(|| subject.clone())
            // Shown on pages and kept with the link: a provider's name, not a document.
            .chars()
            .take(MAX_NAME_CHARS)
            .collect::<String>();
        let mut other = claims.additional_claims().all.clone();
        let mut wanted =
            self.config.roles.as_ref().map(|r| &r.claim).into_iter().chain(&self.config.quota_claim);
        if wanted.any(|c| claim(&other, c).is_none()) {
            // Some providers (Authelia by default, Okta's org server) put such claims only in
            // what their userinfo endpoint answers for the access token.
            for (name, value) in self.user_info(&client, tokens.access_token(), claims.subject()).await {
                other.entry(name).or_insert(value);
            }
        }
        let role = self.config.roles.as_ref().and_then(|roles| roles.read(&other, &known_as));
        let quota = self.config.quota_claim.as_deref().and_then(|claim| read_quota(&other, claim, &known_as));
        Ok(Person { issuer: claims.issuer().as_str().to_owned(), subject, known_as, role, quota })
    }
}
