/* pow.js: solves the feedback form's proof-of-work captcha (src/web/captcha.h).
   Finds a decimal nonce such that SHA-256(challenge + nonce) starts with `bits` zero
   bits, puts it into the hidden field captcha_nonce and hides the question (the
   fallback for browsers without JavaScript). Loaded with a <script src>, never inline:
   the Content-Security-Policy forbids inline script. */
(function () {
  'use strict';

  function zeroBits(bytes, bits) {
    for (var i = 0; i < bits; i++) {
      if (bytes[i >> 3] & (0x80 >> (i & 7))) return false;
    }
    return true;
  }

  async function solve(challenge, bits) {
    var enc = new TextEncoder();
    var batch = 256;
    for (var start = 0; ; start += batch) {
      var jobs = [];
      for (var n = start; n < start + batch; n++) {
        jobs.push(crypto.subtle.digest('SHA-256', enc.encode(challenge + n)));
      }
      var hashes = await Promise.all(jobs);
      for (var k = 0; k < hashes.length; k++) {
        if (zeroBits(new Uint8Array(hashes[k]), bits)) return String(start + k);
      }
    }
  }

  function start() {
    var form = document.getElementById('feedback-form');
    if (!form || !window.crypto || !crypto.subtle || !window.TextEncoder) return;
    var challenge = form.getAttribute('data-pow');
    var bits = parseInt(form.getAttribute('data-pow-bits'), 10) || 0;
    var status = document.getElementById('pow-status');
    var nonceField = document.getElementById('captcha_nonce');
    var question = document.getElementById('captcha-question');
    status.hidden = false;
    status.textContent = 'Выполняется автоматическая проверка…';
    solve(challenge, bits).then(function (nonce) {
      nonceField.value = nonce;
      question.hidden = true;
      status.textContent = 'Автоматическая проверка пройдена: отвечать на вопрос не нужно.';
      form.setAttribute('data-pow-solved', 'yes');
    }, function () {
      status.textContent = 'Автоматическая проверка не удалась: ответьте, пожалуйста, на вопрос.';
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
