// Opens a page in a real headless Chromium (Debian's, through playwright-core) with a
// fresh profile, waits until the page has set window.onenetResult and prints it as JSON.
// Usage: node open_page.mjs <url> <user-data-dir>   (CHROMIUM overrides /usr/bin/chromium)
import { chromium } from "playwright-core";

const [url, userDataDir] = process.argv.slice(2);
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  timeout: 60000,
});
try {
  const page = context.pages()[0] || await context.newPage();
  const console_lines = [];
  page.on("console", (message) => console_lines.push(message.text()));
  await page.goto(url);
  await page.waitForFunction(() => window.onenetResult !== undefined, null, { timeout: 30000 });
  const result = await page.evaluate(() => window.onenetResult);
  process.stdout.write(JSON.stringify({ ...result, console: console_lines }));
} finally {
  await context.close();
}
