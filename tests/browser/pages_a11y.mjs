#!/usr/bin/env node
// Shelter's block pages in headless Chromium (Debian's chromium, driven by playwright-core),
// checked with axe-core: every page kind (general, child, teen, venue, security, legal,
// not-blocked) x every built-in language (en, fr, es, ar) x three viewports (a 320 px phone,
// a 1280 px desktop, and that desktop at 200 % zoom). A page passes when axe-core reports no
// violation and nothing incomplete, the language and direction are right, there is one h1,
// nothing overflows sideways, it renders with JavaScript off, it is under 30 KB, and its links
// are reached by keyboard with a visible focus.
//
// Usage: node pages_a11y.mjs --shelterd PATH [--screenshots DIR]
// Chromium: $CHROMIUM, else /usr/bin/chromium. Prints PASS/FAIL lines and "N passed, N failed".
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const shelterd = option("--shelterd");
const screenshots = option("--screenshots");
if (!shelterd) {
  console.error("usage: pages_a11y.mjs --shelterd PATH [--screenshots DIR]");
  process.exit(2);
}

let passed = 0;
let failed = 0;
function check(ok, what, detail = "") {
  if (ok) {
    passed++;
    console.log(`PASS ${what}`);
  } else {
    failed++;
    console.log(`FAIL ${what}`);
    if (detail) console.log(`    ${String(detail).split("\n").join("\n    ")}`);
  }
  return ok;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

// One shelterd per reader: the default profile decides whose page a request gets.
const READERS = { general: "all-lists", child: "under-9", teen: "15-17", venue: "public-wifi" };
const SITES = {
  "adult.test": null, // the reader's own kind
  "evil.test": "security",
  "csam.test": "legal",
  "fine.test": "not-blocked",
};

async function startShelterd(dir, profile) {
  const [dns, web] = [await freePort(), await freePort()];
  const config = join(dir, `${profile}.yaml`);
  writeFileSync(config, `threads: 1
dns: {listen: ["127.0.0.1:${dns}"]}
admin: {listen: null}
upstream: {servers: ["127.0.0.1:9"]}
lists:
  - {id: parental, category: adult, entries: [adult.test]}
  - {id: threats, category: malware, entries: [evil.test]}
  - {id: authority, category: csam, legal: true, entries: [csam.test], authority: Test Hotline,
     appeal: "https://appeal.hotline.test/"}
subscribers: {default-profile: ${profile}}
web:
  block-listen: ["127.0.0.1:${web}"]
  organisation: Example ISP
  venue: Café Example
  contact: "mailto:help@isp.example"
`);
  const child = spawn(shelterd, ["--config", config], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`shelterd not ready:\n${log}`)), 10000);
    child.stderr.on("data", (chunk) => {
      log += chunk;
      if (log.includes("shelterd: ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`shelterd exited ${code}:\n${log}`)));
  });
  return { child, web };
}

const VIEWPORTS = [
  { name: "320px", viewport: { width: 320, height: 640 }, deviceScaleFactor: 1 },
  { name: "1280px", viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 },
  // 200 % zoom on a 1280 px screen: 640 CSS pixels, each drawn twice as large.
  { name: "1280px at 200%", viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 },
];
const LOCALES = { en: "ltr", fr: "ltr", es: "ltr", ar: "rtl" };

// Two tabs per language and viewport (contexts cost most of a check): JavaScript off, where
// the page must work without it (it has none), and on, which axe-core needs.
async function openTabs(browser, locale, view) {
  const options = { locale, viewport: view.viewport, deviceScaleFactor: view.deviceScaleFactor };
  const plain = await browser.newContext({ ...options, javaScriptEnabled: false });
  const scripted = await browser.newContext(options);
  return { plain, scripted, page: await plain.newPage(), checked: await scripted.newPage() };
}

async function checkPage(tabs, port, host, kind, locale, view) {
  const name = `${kind} ${locale} ${view.name}`;
  const url = `http://${host}:${port}/`;
  const { page, checked } = tabs;
  const response = await page.goto(url);
  const body = await response.body();
  const html = body.toString("utf8");
  check(html.includes(`<body class="${kind}">`), `${name}: the ${kind} page, JavaScript off`,
        html.slice(0, 300));
  check(body.length < 30 * 1024, `${name}: under 30 KB (${body.length} bytes)`);
  if (screenshots && view.name === "320px" && host === "adult.test") {
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: join(screenshots, `block-page-${kind}-${locale}.png`),
                            fullPage: true });
  }
  await checked.goto(url);
  const facts = await checked.evaluate(() => ({
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    h1: document.querySelectorAll("h1").length,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    links: document.querySelectorAll("a[href]").length,
  }));
  check(facts.lang === locale && facts.dir === LOCALES[locale] && facts.h1 === 1,
        `${name}: lang=${locale}, dir=${LOCALES[locale]}, one h1`, JSON.stringify(facts));
  check(facts.overflow <= 0, `${name}: nothing overflows sideways`, JSON.stringify(facts));
  const axe = await new AxeBuilder({ page: checked }).analyze();
  const problems = axe.violations.map((v) => `${v.impact}: ${v.id}: ${v.help} ` +
    v.nodes.map((n) => n.target.join(" ")).join(", "));
  const incomplete = axe.incomplete.map((v) => `incomplete: ${v.id}: ${v.help}`);
  check(problems.length === 0 && incomplete.length === 0,
        `${name}: axe-core finds no violation and nothing incomplete`,
        [...problems, ...incomplete].join("\n"));
  if (facts.links > 0 && view.name === "1280px") {
    // Keyboard only: Tab reaches the first link, and its focus is visible.
    await checked.keyboard.press("Tab");
    const focus = await checked.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return { tag: el.tagName, outline: style.outlineStyle, width: style.outlineWidth };
    });
    check(focus.tag === "A" && focus.outline !== "none" && focus.width !== "0px",
          `${name}: Tab reaches a link with a visible focus`, JSON.stringify(focus));
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "shelter-browser-"));
  const daemons = [];
  let browser;
  try {
    for (const [reader, profile] of Object.entries(READERS))
      daemons.push({ reader, ...(await startShelterd(dir, profile)) });
    const rootUser = typeof process.getuid === "function" && process.getuid() === 0;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      // Chromium's sandbox cannot run as root; anyone else keeps it.
      args: ["--host-resolver-rules=MAP *.test 127.0.0.1", ...(rootUser ? ["--no-sandbox"] : [])],
    });
    // Languages side by side; in each, every viewport, reader and site in turn.
    await Promise.all(Object.keys(LOCALES).map(async (locale) => {
      for (const view of VIEWPORTS) {
        const tabs = await openTabs(browser, locale, view);
        for (const { reader, web } of daemons) {
          for (const [host, fixed] of Object.entries(SITES)) {
            // Security, legal and not-blocked pages do not depend on the reader: once is enough.
            if (fixed && reader !== "general") continue;
            await checkPage(tabs, web, host, fixed ?? reader, locale, view);
          }
        }
        await tabs.plain.close();
        await tabs.scripted.close();
      }
    }));
  } catch (e) {
    check(false, "the browser run", e.stack || e);
  } finally {
    if (browser) await browser.close();
    for (const { child } of daemons) child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed || !passed ? 1 : 0);
}

main();
