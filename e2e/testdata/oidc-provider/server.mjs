// node-oidc-provider (panva/node-oidc-provider) for the e2e tests: a second implementation of
// dynamic client registration (RFC 7591) and its management (RFC 7592) that nobody here wrote.
// It listens on a free loopback port and prints one JSON line, {"issuer": "..."}, once it
// serves. Its sign-in page is ours, shaped as the in-process provider's (a hidden "id" and a
// POST to /login/username with username and password), so internal/testkit's scripted browser
// signs in at both.
import http from 'node:http';
import Provider from 'oidc-provider';

const PASSWORD = 'verysecure'; // testkit.Password

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [],
    cookies: { keys: ['connectedapps-e2e-cookie-key'] },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: false },
      revocation: { enabled: true },
    },
    // One interaction page for every sign-in: its cookie's path (/login) covers the POST.
    interactions: { url: () => '/login' },
    findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, email: sub }) }),
    claims: { openid: ['sub'], email: ['email'] },
    scopes: ['openid', 'email', 'offline_access'],
    pkce: { required: () => true },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    try {
      if (req.method === 'GET' && req.url === '/login') {
        const details = await provider.interactionDetails(req, res);
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end(`<form method="post" action="/login/username"><input type="hidden" name="id" value="${details.uid}">` +
          '<input name="username"><input name="password" type="password"><button>Sign in</button></form>');
        return;
      }
      if (req.method === 'POST' && req.url === '/login/username') {
        const form = new URLSearchParams(await body(req));
        if (form.get('password') !== PASSWORD || !form.get('username')) {
          res.statusCode = 403;
          res.end('wrong user name or password');
          return;
        }
        const details = await provider.interactionDetails(req, res);
        const accountId = form.get('username');
        // Login and consent at once: the grant holds every scope asked for.
        const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
        grant.addOIDCScope(details.params.scope);
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
        return;
      }
      callback(req, res);
    } catch (err) {
      console.error(err);
      res.statusCode = 500;
      res.end(String(err));
    }
  });
  process.stdout.write(JSON.stringify({ issuer }) + '\n');
});

function body(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { data += c; if (data.length > 65536) reject(new Error('body too large')); });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
