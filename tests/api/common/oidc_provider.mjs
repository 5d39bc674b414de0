// A real OpenID Connect provider for the sign-on tests: panva's oidc-provider (OpenID
// Certified), on loopback, with its development sign-in pages (any login, any password; the
// login becomes the person's `sub` and username). Started and stopped by `oidc.rs`.
// argv: port, client id, client secret, redirect URI, path of oidc-provider's lib/index.js,
// how the client sends its secret (client_secret_basic or client_secret_post), the only way
// the provider then takes, and a JSON file of each login's groups (read at every sign-in; a
// login it does not name gets no groups claim at all; an object instead of a list is claims
// of the login's own, such as a quota), and where those claims go: `id-token`, `userinfo`
// (only there, as Authelia does by default) or `broken-userinfo` (only there, which fails);
// last, an EC P-256 key (PKCS#8 PEM) it publishes beside its own RSA key, with which the tests
// sign logout tokens of their own making. It signs ID and logout tokens with RS256, and sends
// back-channel logouts to the app's `/signin/sso/logout`.
const [port, clientId, clientSecret, redirectUri, modulePath, authMethod, groupsFile, claimsIn, testKey] =
  process.argv.slice(2);
const { default: Provider } = await import(modulePath);
const { readFileSync } = await import('node:fs');
const { createPrivateKey, generateKeyPairSync } = await import('node:crypto');
const groupsOf = (id) => JSON.parse(readFileSync(groupsFile, 'utf8'))[id];
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const ec = createPrivateKey(readFileSync(testKey)).export({ format: 'jwk' });

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [redirectUri.replace('/signin/sso/done', '/signin')],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: authMethod,
    backchannel_logout_uri: redirectUri.replace('/signin/sso/done', '/signin/sso/logout'),
    backchannel_logout_session_required: false,
  }],
  jwks: {
    keys: [
      { ...rsa, kid: 'provider-rsa', use: 'sig', alg: 'RS256' },
      { ...ec, kid: 'tests-ec', use: 'sig', alg: 'ES256' },
    ],
  },
  features: { backchannelLogout: { enabled: true } },
  clientAuthMethods: [authMethod],
  cookies: { keys: ['mediadesk-test-provider-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: [
      'preferred_username', 'name', 'groups', 'mediadesk_quota',
      // Where Keycloak and Zitadel put roles, for the tests of claims found by a path.
      'realm_access', 'urn:zitadel:iam:org:project:roles',
    ],
  },
  // `false`: the ID token itself carries the scopes' claims (no userinfo call needed).
  conformIdTokenClaims: claimsIn !== 'id-token',
  pkce: { required: () => true },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async (use) => {
      if (use === 'userinfo' && claimsIn === 'broken-userinfo') throw new Error('userinfo is broken');
      return {
        sub: id,
        preferred_username: id,
        name: id,
        email: `${id}@example.test`,
        email_verified: true,
        ...(groupsOf(id) === undefined ? {} : Array.isArray(groupsOf(id)) ? { groups: groupsOf(id) } : groupsOf(id)),
      };
    },
  }),
});
provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
