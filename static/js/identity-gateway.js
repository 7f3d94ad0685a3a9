/*
 * Glue between a portal page and Dokobit's embedded Identity Gateway widget.
 *
 * Generic on purpose: every element marked [data-identity-flow] carries a json_script config
 * { createUrl, completeUrl, params, locale, scriptUrl, csrf, messages }. A click on
 * [data-identity-start] asks createUrl for a session token, mounts the widget in
 * #Dokobit-identity-container, and when the widget reports success (callback) or failure
 * (the "dokobit-identity:error" DOM event) asks completeUrl for the verdict; the server reads
 * the truth from the gateway. "ok" follows the returned redirect, "waiting" asks again shortly
 * (window.portalPoll, poll.js), "error" shows the server's translated message and a Try again
 * button.
 */
(function () {
  "use strict";

  var POLL_DELAY_MS = 1500;
  // Five minutes: longer than any eID confirmation Dokobit waits for.
  var POLL_LIMIT_MS = 5 * 60 * 1000;
  var scriptPromise = null;

  function loadScript(url) {
    if (window.DokobitIdentity) {
      return Promise.resolve();
    }
    if (!scriptPromise) {
      scriptPromise = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = url;
        script.async = true;
        script.onload = function () { resolve(); };
        script.onerror = function () { scriptPromise = null; reject(new Error("script")); };
        document.body.appendChild(script);
      });
    }
    return scriptPromise;
  }

  function post(url, config) {
    var body = new URLSearchParams();
    var params = config.params || {};
    Object.keys(params).forEach(function (key) {
      if (params[key] !== null && params[key] !== undefined) {
        body.append(key, params[key]);
      }
    });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": config.csrf, "X-Requested-With": "XMLHttpRequest" },
      body: body
    }).then(function (response) {
      return response.json().catch(function () {
        return { status: "error", message: config.messages.failed };
      });
    });
  }

  function setUp(root) {
    var configElement = root.querySelector('script[type="application/json"]');
    if (!configElement) {
      return;
    }
    var config = JSON.parse(configElement.textContent);
    config.messages = config.messages || {};
    var startButton = root.querySelector("[data-identity-start]");
    var retryButton = root.querySelector("[data-identity-retry]");
    var message = root.querySelector('[data-testid="identity-message"]');
    var container = root.querySelector("#Dokobit-identity-container") ||
      document.getElementById("Dokobit-identity-container");
    var completing = false;
    var stopCompleting = null;

    function showMessage(text, isError) {
      message.textContent = text;
      message.classList.toggle("error", isError !== false);
      message.hidden = !text;
    }

    function fail(text) {
      if (stopCompleting) { stopCompleting(); }
      completing = false;
      container.innerHTML = "";
      showMessage(text || config.messages.failed, true);
      startButton.hidden = true;
      retryButton.hidden = false;
      retryButton.disabled = false;
      retryButton.focus();
    }

    function complete() {
      if (completing) {
        return;
      }
      completing = true;
      stopCompleting = window.portalPoll({
        request: function () { return post(config.completeUrl, config); },
        immediate: true,
        intervalMs: POLL_DELAY_MS,
        limitMs: POLL_LIMIT_MS,
        onData: function (data) {
          if (data.status === "waiting") { return false; }
          if (data.status === "ok" && data.redirect) {
            window.location.assign(data.redirect);
          } else {
            fail(data.message);
          }
          return true;
        },
        onStop: function (reason) {
          if (reason === "error") { fail(config.messages.network); }
          if (reason === "timeout") { fail(config.messages.failed); }
        }
      });
    }

    function start() {
      startButton.disabled = true;
      retryButton.hidden = true;
      showMessage("");
      if (stopCompleting) { stopCompleting(); }
      completing = false;
      container.innerHTML = "";
      post(config.createUrl, config).then(function (data) {
        if (data.status !== "ok" || !data.session_token) {
          fail(data.message);
          return null;
        }
        return loadScript(config.scriptUrl).then(function () {
          startButton.hidden = true;
          var options = {
            sessionToken: data.session_token,
            locale: config.locale || "en",
            container: "#" + container.id,
            callback: complete
          };
          // An organisation's logo and colour (the widget's documented options), when it set them.
          var branding = config.branding || {};
          if (branding.logo) { options.logo = branding.logo; }
          if (branding.primaryColor) { options.primaryColor = branding.primaryColor; }
          new window.DokobitIdentity(options).init();
        }, function () { fail(config.messages.scriptMissing); });
      }, function () { fail(config.messages.network); }).then(function () {
        startButton.disabled = false;
      });
    }

    container.addEventListener("dokobit-identity:error", complete);
    startButton.addEventListener("click", start);
    retryButton.addEventListener("click", start);
    startButton.hidden = false;
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-identity-flow]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
