// The kiosk page in a real browser: the system's headless Chromium driven
// by playwright-core. It loads GET /, types a prompt, waits for the answer
// to stream in, checks the route label, and takes a screenshot; twice, an
// easy prompt (the device) and a hard one (the cloud). Every request the
// page makes must go to the server itself (it works offline).
//
//   node kiosk.mjs URL SCREENSHOT.png USER_DATA_DIR EASY HARD
import { chromium } from "playwright-core";

const [url, shot, userDataDir, easy, hard] = process.argv.slice(2);
const origin = new URL(url).origin;

function check(cond, what, detail) {
  if (!cond) {
    console.log(`FAIL ${what}${detail !== undefined ? ": " + JSON.stringify(detail) : ""}`);
    process.exit(1);
  }
  console.log(`ok   ${what}`);
}

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"],
  viewport: { width: 900, height: 640 },
});
let status = 0;
try {
  const page = context.pages()[0] || (await context.newPage());
  const outside = [];
  page.on("request", (r) => { if (!r.url().startsWith(origin)) outside.push(r.url()); });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url, { waitUntil: "load", timeout: 20000 });
  check((await page.title()) === "fieldlm", "the page loads");
  await page.waitForFunction(() => document.getElementById("info").textContent.includes("stories260K"),
                             null, { timeout: 10000 });
  check(true, "it names the device's model");

  async function ask(prompt, n) {
    // count how often the answer grew: streamed means more than once
    await page.evaluate((n) => {
      window.__growth = 0;
      new MutationObserver(() => {
        const a = document.querySelectorAll(".turn .a")[n];
        if (a) window.__growth++;
      }).observe(document.getElementById("log"), { subtree: true, childList: true, characterData: true });
    }, n);
    await page.fill("#prompt", prompt);
    await page.click("#send");
    await page.waitForSelector(`.turn:nth-child(${n + 1})[data-done="true"]`, { timeout: 30000 });
    const turn = page.locator(".turn").nth(n);
    return {
      answer: await turn.locator(".a").textContent(),
      route: await turn.locator(".route").getAttribute("data-route"),
      reason: await turn.locator(".route").getAttribute("data-reason"),
      label: await turn.locator(".route").textContent(),
      growth: await page.evaluate(() => window.__growth),
    };
  }

  const a = await ask(easy, 0);
  check(a.answer.length > 10, "the easy answer arrived", a.answer);
  check(a.route === "local" && a.reason === "local:confident", "labelled device, local:confident", a);
  check(a.label.startsWith("device \u00b7 local:confident"), "the label says so", a.label);
  check(a.growth >= 3, `it streamed (${a.growth} updates)`);

  const b = await ask(hard, 1);
  check(b.answer === "Echo: " + hard, "the hard answer came from the cloud", b.answer);
  check(b.route === "cloud" && b.reason === "cloud:difficulty", "labelled cloud, cloud:difficulty", b);
  check(b.label.includes("sim-model-1"), "with the cloud's model", b.label);

  await page.screenshot({ path: shot, fullPage: true });
  check(true, `screenshot ${shot}`);
  check(outside.length === 0, "nothing requested outside the server", outside);
  check(errors.length === 0, "no script errors", errors);
  console.log("kiosk ok");
} catch (e) {
  console.log("FAIL " + (e && e.stack ? e.stack : e));
  status = 1;
} finally {
  await context.close();
}
process.exit(status);
