#!/usr/bin/env node
// Test oracle: render ZPL with zpl-renderer-js (a renderer this project did not write).
// Usage:  node render.js OUT_PREFIX [WIDTH_MM HEIGHT_MM DPMM] < label.zpl
//         writes OUT_PREFIX-0.png, OUT_PREFIX-1.png ... (one per ^XA..^XZ)
//         node render.js --batch < jobs.json
//         jobs.json = [{"zpl": "...", "out": "prefix", "width_mm": 101.6, "height_mm": 152.4, "dpmm": 8}]
// Batch mode exists because loading the 8 MB wasm costs about a second per process.
const fs = require("node:fs");
const { ready } = require("zpl-renderer-js");

async function renderOne(api, zpl, out, widthMm, heightMm, dpmm) {
  const pngs = await api.zplToBase64MultipleAsync(zpl, widthMm, heightMm, dpmm);
  const files = [];
  pngs.forEach((b64, i) => {
    const file = `${out}-${i}.png`;
    fs.writeFileSync(file, Buffer.from(b64, "base64"));
    files.push(file);
  });
  return files;
}

async function main() {
  const input = fs.readFileSync(0, "utf8");
  const { api } = await ready;
  const args = process.argv.slice(2);
  if (args[0] === "--batch") {
    const results = [];
    for (const job of JSON.parse(input)) {
      results.push(await renderOne(api, job.zpl, job.out, job.width_mm ?? 101.6,
        job.height_mm ?? 152.4, job.dpmm ?? 8));
    }
    process.stdout.write(JSON.stringify(results));
  } else {
    const [out, w, h, d] = args;
    const files = await renderOne(api, input, out, Number(w ?? 101.6), Number(h ?? 152.4),
      Number(d ?? 8));
    process.stdout.write(JSON.stringify(files));
  }
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(1);
});
