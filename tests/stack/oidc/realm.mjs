// A Keycloak-shaped OpenID Connect provider for tests and `make stack`, over npm
// oidc-provider: issuer http://127.0.0.1:PORT/realms/<realm>, Keycloak's route names,
// a public native client with any-port loopback redirects (RFC 8252) and PKCE S256,
// JWT access tokens with `realm_access.roles` and `preferred_username`, rotating
// refresh tokens (a replayed one revokes the whole grant, as Keycloak does), device flow.
//
//   node realm.mjs --users users.json [--port 0] [--realm review] [--access-ttl 300]
//
// The users file is read again on every sign-in and token refresh, so a test can take
// a role away from a user while they are signed in. Prints one line, `issuer <url>`,
// once it listens.

import http from 'node:http';
import { readFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string' },
    port: { type: 'string', default: '0' },
    realm: { type: 'string', default: 'review' },
    client: { type: 'string', default: 'secondread' },
    audience: { type: 'string', default: 'review-api' },
    'access-ttl': { type: 'string', default: '300' },
  },
});
if (!args.users) throw new Error('--users FILE is required');

const users = () => JSON.parse(readFileSync(args.users, 'utf8')).users;
const userById = (id) => users().find((u) => u.id === id);
const userByName = (name) => users().find((u) => u.username === name);

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(args.port), '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const mount = `/realms/${args.realm}`;
const issuer = `${base}${mount}`;
const resource = `${issuer}/api`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: args.client,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1/signed-out'],
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  routes: {
    authorization: '/protocol/openid-connect/auth',
    token: '/protocol/openid-connect/token',
    userinfo: '/protocol/openid-connect/userinfo',
    jwks: '/protocol/openid-connect/certs',
    end_session: '/protocol/openid-connect/logout',
    device_authorization: '/protocol/openid-connect/auth/device',
    code_verification: '/device',
    revocation: '/protocol/openid-connect/revoke',
    introspection: '/protocol/openid-connect/token/introspect',
  },
  scopes: ['openid', 'profile', 'offline_access'],
  claims: { openid: ['sub'], profile: ['preferred_username', 'name'] },
  conformIdTokenClaims: false,
  findAccount: async (_ctx, id) => {
    const user = userById(id);
    if (!user) return undefined;
    return {
      accountId: id,
      claims: async () => ({ sub: id, preferred_username: user.username, name: user.name }),
    };
  },
  extraTokenClaims: async (_ctx, token) => {
    if (token.kind !== 'AccessToken') return undefined;
    const user = userById(token.accountId);
    if (!user) return undefined;
    // Keycloak: a user-attribute mapper on the client puts the person's lock policy here,
    // and a group-membership mapper their groups (one per tenant) in `tenants`.
    const lock = user.lock_minutes === undefined ? {} : { lock_minutes: user.lock_minutes };
    return {
      preferred_username: user.username,
      realm_access: { roles: user.roles },
      tenants: user.tenants ?? [],
      ...lock,
    };
  },
  // Keycloak hands a native client a refresh token without asking for offline access.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  expiresWithSession: async () => false,
  ttl: {
    AccessToken: Number(args['access-ttl']),
    IdToken: Number(args['access-ttl']),
    RefreshToken: 8 * 3600,
    Session: 8 * 3600,
    Interaction: 600,
    Grant: 8 * 3600,
    DeviceCode: 600,
  },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    introspection: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    deviceFlow: { enabled: true, userCodeInputSource, successSource: deviceSuccess },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: 'openid profile offline_access',
        audience: args.audience,
        accessTokenFormat: 'jwt',
        accessTokenTTL: Number(args['access-ttl']),
      }),
    },
  },
  interactions: { url: (_ctx, interaction) => `${base}/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Sign-in error', `<p id="error">${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`);
  },
});

/** The grant a signed-in user gets without a consent page (realm clients are trusted). */
async function grantFor(accountId, params) {
  const grant = new provider.Grant({ accountId, clientId: params.client_id });
  grant.addOIDCScope(params.scope ?? 'openid');
  grant.addResourceScope(resource, 'openid profile offline_access');
  return grant.save();
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function loginForm(action, message) {
  return page(`Sign in to ${args.realm}`, `${message ? `<p id="error">${escape(message)}</p>` : ''}
<form method="post" action="${escape(action)}">
<label>Username <input name="username" autofocus></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button></form>`);
}

async function userCodeInputSource(ctx, form, _out, err) {
  ctx.type = 'html';
  ctx.body = page('Device sign-in', `${err ? `<p id="error">${escape(err.message)}</p>` : ''}${form}
<label>Code <input name="user_code" form="op.deviceInputForm"></label><button type="submit" form="op.deviceInputForm">Continue</button>`);
}

async function deviceSuccess(ctx) {
  ctx.type = 'html';
  ctx.body = page('Signed in', '<p>You can return to SecondRead.</p>');
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

/** The login pages: GET shows the form, POST checks the password and finishes the interaction. */
async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page('Sign-in error', '<p id="error">stale sign-in</p>'));
  const action = `${base}/interaction/${uid}`;
  if (req.method === 'GET') return send(res, 200, loginForm(action));
  const form = await readForm(req);
  const user = userByName(form.username ?? '');
  if (!user || user.password !== form.password) {
    return send(res, 401, loginForm(action, 'Invalid username or password.'));
  }
  const grantId = await grantFor(user.id, details.params);
  return provider.interactionFinished(req, res, { login: { accountId: user.id }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

/**
 * Keycloak's back-channel logout for native apps: POST client_id and refresh_token to
 * the logout route ends the grant (and so every token of it).
 */
async function backchannelLogout(req, res) {
  const form = await readForm(req);
  const token = form.refresh_token && await provider.RefreshToken.find(form.refresh_token);
  if (!token || token.clientId !== form.client_id) {
    res.writeHead(400, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'Invalid refresh token' }));
  }
  const grant = await provider.Grant.find(token.grantId);
  await grant?.destroy();
  await token.destroy();
  res.writeHead(204);
  return res.end();
}

const callback = provider.callback();
server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, base);
    const login = url.pathname.match(/^\/interaction\/([\w-]+)$/);
    if (login) return await interaction(req, res, login[1]);
    const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    if (req.method === 'POST' && url.pathname === `${mount}/protocol/openid-connect/logout` && isForm
        && !(req.headers.cookie ?? '').includes('_session')) {
      return await backchannelLogout(req, res);
    }
    if (url.pathname === mount || url.pathname.startsWith(`${mount}/`)) {
      req.originalUrl = req.url;
      req.url = req.url.slice(mount.length) || '/';
      return callback(req, res);
    }
    return send(res, 404, page('Not found', ''));
  } catch (err) {
    return send(res, 500, page('Sign-in error', `<p id="error">${escape(err.message)}</p>`));
  }
});

process.stdout.write(`issuer ${issuer}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
