// Hash routing: "#/tenants/abc/findings?status=fail" -> the page registered for
// "/tenants/:tenantId/findings" with params {tenantId: "abc"} and query {status: "fail"}.
const routes = [];

export function route(pattern, render) {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (_, name) => {
    names.push(name);
    return "([^/]+)";
  });
  routes.push({ regex: new RegExp(`^${source}$`), names, render });
}

export function current() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  for (const { regex, names, render } of routes) {
    const match = regex.exec(path);
    if (match) {
      const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1])]));
      return { path, render, params, query: Object.fromEntries(new URLSearchParams(search)) };
    }
  }
  return { path, render: null, params: {}, query: {} };
}

export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

export function link(hash, text, attrs = {}) {
  const a = document.createElement("a");
  a.href = hash;
  a.textContent = text;
  for (const [k, v] of Object.entries(attrs)) a.setAttribute(k, v);
  return a;
}
