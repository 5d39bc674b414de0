// A real OpenID Connect provider for the sign-on tests: panva's oidc-provider (OpenID
// Certified), on loopback, with its development sign-in pages (any login, any password; the
// login becomes the person's `sub` and username). Started and stopped by `oidc.rs`.
// argv: port, client id, client secret, redirect URI, path of oidc-provider's lib/index.js,
// and how the client sends its secret (client_secret_basic or client_secret_post), the only
// way the provider then takes.
const [port, clientId, clientSecret, redirectUri, modulePath, authMethod] = process.argv.slice(2);
const { default: Provider } = await import(modulePath);

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: authMethod,
  }],
  clientAuthMethods: [authMethod],
  cookies: { keys: ['mediadesk-test-provider-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['preferred_username', 'name'] },
  // The ID token itself carries the scopes' claims (no userinfo call needed to read them).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({
      sub: id,
      preferred_username: id,
      name: id,
      email: `${id}@example.test`,
      email_verified: true,
    }),
  }),
});
provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
