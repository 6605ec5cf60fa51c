// Sign-in. Locally the development sign-in provider's chooser redirects back with
// `#access_token=...`; in Azure (no signinUrl) MSAL.js signs in against Entra ID. Either way the
// access token lives in sessionStorage only (gone when the tab closes) and goes out as a bearer.
const TOKEN_KEY = "scanposture.token";
const RETURN_KEY = "scanposture.return";
let config = null;
let msalApp = null;

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export async function loadConfig() {
  if (!config) {
    const response = await fetch("/api/config");
    if (!response.ok) throw new Error(`the portal's configuration could not be read (${response.status})`);
    config = await response.json();
  }
  return config;
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement("script"), { src, onload: resolve, onerror: reject });
    document.head.append(script);
  });
}

async function msal() {
  if (!msalApp) {
    await loadScript("vendor/msal-browser.min.js"); // only production needs it
    const { clientId, authority } = config.auth;
    // msal-browser 5: the factory returns an initialised application.
    msalApp = await window.msal.createStandardPublicClientApplication({
      auth: { clientId, authority, redirectUri: `${location.origin}/` },
      cache: { cacheLocation: "sessionStorage" },
    });
  }
  return msalApp;
}

function scopes() {
  return [`api://${config.auth.clientId}/.default`];
}

// Called once at start: takes a token handed back by the sign-in page, if any. Returns the
// route the person was on before signing in, so they land where they were.
export async function completeSignIn() {
  await loadConfig();
  let landed = null;
  if (location.hash.startsWith("#access_token=")) {
    landed = new URLSearchParams(location.hash.slice(1)).get("access_token");
  } else if (!config.signinUrl && !token()) {
    const app = await msal();
    const result = await app.handleRedirectPromise();
    landed = result?.accessToken || null;
  }
  if (!landed) return null;
  sessionStorage.setItem(TOKEN_KEY, landed);
  const back = sessionStorage.getItem(RETURN_KEY) || "#/";
  sessionStorage.removeItem(RETURN_KEY);
  history.replaceState(null, "", `${location.pathname}${back}`);
  return back;
}

export async function signIn() {
  await loadConfig();
  const here = location.hash && !location.hash.startsWith("#access_token") ? location.hash : "#/";
  sessionStorage.setItem(RETURN_KEY, here === "#/signin" ? "#/" : here);
  if (config.signinUrl) {
    const back = `${location.origin}${location.pathname}`;
    location.assign(`${config.signinUrl}?redirect_uri=${encodeURIComponent(back)}`);
    return;
  }
  const app = await msal();
  await app.loginRedirect({ scopes: scopes() });
}

export function signOut(navigate = true) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (navigate) location.hash = "#/signin";
}
