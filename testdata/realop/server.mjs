// A real OpenID provider for tok's tests that is not tok's code: node
// oidc-provider with its development login and consent pages. It rotates
// refresh tokens strictly (a public client's refresh token is consumed by
// its use) and, like the strictest providers, revokes the whole grant
// when a consumed refresh token comes back.
//
// It listens on 127.0.0.1 (port 0: any free one) and prints one line of
// JSON, {"issuer": ...}, once it serves. Test hooks, on loopback only:
//   GET /__test/ttl?s=N   access tokens issued from now on live N seconds
//   GET /__test/counts    token requests by grant_type, and errors
//
// With ACCESS_TOKEN_FORMAT=jwt, access tokens are JWTs (RFC 9068) for the
// resource urn:tok:api (scope api:read), as many providers issue them,
// instead of oidc-provider's opaque ones; make bench uses it.
import http from 'node:http';
import Provider from 'oidc-provider';

let accessTTL = Number(process.env.ACCESS_TTL || 300);
const counts = { errors: 0 };
const count = (ctx, key) => {
  const grant = ctx.oidc?.params?.grant_type || 'unknown';
  counts[grant] = (counts[grant] || 0) + 1;
  if (key) counts[key] += 1;
};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'tok-public',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // RFC 8252 section 7.3: any port on the loopback address.
      redirect_uris: ['http://127.0.0.1/callback'],
    }],
    pkce: { required: () => true },
    scopes: ['openid', 'offline_access', 'email', 'api:read'],
    claims: { openid: ['sub'], email: ['email'] },
    ttl: { AccessToken: () => accessTTL },
    cookies: { keys: ['tok-realop-test-cookie-key'] },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: process.env.ACCESS_TOKEN_FORMAT === 'jwt',
        defaultResource: () => 'urn:tok:api',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api:read',
          audience: 'urn:tok:api',
          accessTokenTTL: accessTTL,
          accessTokenFormat: 'jwt',
        }),
      },
    },
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, email: `${id}@example.com` }),
    }),
  });
  provider.on('grant.success', (ctx) => count(ctx));
  provider.on('grant.error', (ctx) => count(ctx, 'errors'));
  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test/ttl') {
      accessTTL = Number(ctx.query.s);
      ctx.body = { ttl: accessTTL };
      return;
    }
    if (ctx.path === '/__test/counts') {
      ctx.body = counts;
      return;
    }
    await next();
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

// The test that started it ends it by closing stdin (or killing it).
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
