// One status poll for the portal's pages (the document page, the signer's signing and return
// pages, the eID widget waiting for its verdict): asks every few seconds and stops for good on a
// final answer, on an error answer or a failed request, or when its time limit has passed. A page
// left open then never asks forever, and an endpoint that refuses or fails is not asked again and
// again.
//
//   var stop = window.portalPoll({
//     url: "/…/status",                                    // GET it as JSON, an error status stops
//     request: function () { return promiseOfData; },      // or: ask another way (a POST)
//     onData: function (data) { …; return data.final; },  // true: the answer is final, stop
//     onStop: function (reason) { … },                     // optional: final, error, gone (404), timeout, stopped
//     immediate: false,                                     // optional: ask at once, then every interval
//     intervalMs: 3000,                                     // optional
//     limitMs: 1200000,                                     // optional: twenty minutes
//   });
(function () {
  "use strict";

  var INTERVAL_MS = 3000;
  var LIMIT_MS = 20 * 60 * 1000;

  function portalPoll(options) {
    var interval = options.intervalMs || INTERVAL_MS;
    var deadline = Date.now() + (options.limitMs || LIMIT_MS);
    var stopped = false;
    var timer = null;

    function stop(reason) {
      if (stopped) { return; }
      stopped = true;
      window.clearTimeout(timer);
      if (options.onStop) { options.onStop(reason); }
    }

    function schedule() {
      if (stopped) { return; }
      if (Date.now() + interval > deadline) { stop("timeout"); return; }
      timer = window.setTimeout(ask, interval);
    }

    function get() {
      return fetch(options.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            var refused = new Error("status answered " + response.status);
            refused.status = response.status;
            throw refused;
          }
          return response.json();
        });
    }

    function ask() {
      (options.request || get)()
        .then(function (data) {
          if (stopped) { return; }
          if (options.onData(data)) { stop("final"); } else { schedule(); }
        })
        // 404: what was asked about is no longer there for this person (deleted, or their access ended).
        .catch(function (err) { stop(err && err.status === 404 ? "gone" : "error"); });
    }

    if (options.immediate) { ask(); } else { schedule(); }
    return function () { stop("stopped"); };
  }

  window.portalPoll = portalPoll;
})();
