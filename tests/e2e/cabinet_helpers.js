// cabinet_helpers.js: what the cabinet's browser tests share (cabinet.js,
// telegram_link.js): the newest sign-in code mailed to a citizen, read from the
// outbound maildir of the daemon run_e2e.py started.
'use strict';
const fs = require('fs');
const path = require('path');

// The newest sign-in code sent to `to`, read from the maildir (waits for delivery).
async function codeFromMaildir(to) {
  const dir = path.join(path.dirname(process.env.OKNO_CONFIG), 'outbox', 'new');
  for (let i = 0; i < 150; i++) {
    const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    for (const f of files) {
      const raw = fs.readFileSync(path.join(dir, f), 'latin1').replace(/=\r\n/g, '');
      if (raw.includes(`To: ${to}`) && raw.includes('Auto-Submitted: auto-generated')) {
        const m = raw.match(/: (\d{6})\r\n/);
        if (m) return m[1];
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('no code mail to ' + to);
}

module.exports = { codeFromMaildir };
