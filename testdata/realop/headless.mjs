// A real OpenID provider, not tok's code, for the headless and CI tests
// (node oidc-provider): the device flow (RFC 8628) for a public client and
// client credentials for a confidential one. It rotates refresh tokens as
// server.mjs does.
//
// It listens on 127.0.0.1 (port 0) and prints one line of JSON,
// {"issuer": ...}, once it serves. Test hook, on loopback only:
//   GET /__test/counts    token requests by grant_type, and errors
import http from 'node:http';
import Provider from 'oidc-provider';

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
      client_id: 'tok-device',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    }, {
      client_id: 'tok-ci',
      client_secret: process.env.CI_SECRET || 'tok-ci-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'api:read api:write',
    }],
    scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
    claims: { openid: ['sub'] },
    ttl: { AccessToken: 300, ClientCredentials: 300, DeviceCode: 300 },
    cookies: { keys: ['tok-realop-headless-cookie-key'] },
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
    },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
  });
  provider.on('grant.success', (ctx) => count(ctx));
  provider.on('grant.error', (ctx) => count(ctx, 'errors'));
  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test/counts') {
      ctx.body = counts;
      return;
    }
    await next();
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
