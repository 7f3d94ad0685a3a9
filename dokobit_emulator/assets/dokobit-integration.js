/*
 * Dokobit Identity Gateway integration script, as served by the offline sandbox emulator.
 *
 * Same contract as Dokobit's: new DokobitIdentity({sessionToken, callback, locale, container, ...}).init()
 * renders the identification controls inside the container and calls options.callback() (no
 * arguments) once the person is authenticated; without a callback it sends the browser to the
 * session's return_url with session_token appended. Instead of a real phone, the person picks a test
 * identity and confirms (or simulates a failure) in the widget itself.
 */
(function () {
  "use strict";

  // Captured now: document.currentScript is only set while the script first runs.
  var script = document.currentScript;
  var SCRIPT_SUFFIX = /\/js\/dokobit-integration(\.min)?\.js(\?.*)?$/;
  var scriptBase = script && script.src ? script.src.replace(SCRIPT_SUFFIX, "") : "";

  var STRINGS = {
    en: {
      title: "Identify yourself",
      identity: "Test identity",
      "continue": "Continue",
      codeIntro: "Confirm the request on your phone. Check that it shows this control code:",
      approve: "I confirmed on my phone",
      cancel: "Cancel",
      failure: "Simulate a failure",
      fail: "Simulate failure",
      done: "You have been identified.",
      loading: "Loading…",
      failures: { 7023: "Cancelled by user", 6001: "Not a Mobile-ID user", 6005: "Timed out", 6006: "No Smart-ID account" },
      errors: {
        7023: "Identification was cancelled.",
        6001: "This phone number has no Mobile-ID.",
        6005: "Identification timed out. Please try again.",
        6006: "This person has no Smart-ID account.",
        1005: "This identification session is closed. Please start again.",
        0: "Something went wrong. Please try again."
      }
    },
    lt: {
      title: "Patvirtinkite savo tapatybę",
      identity: "Testinė tapatybė",
      "continue": "Tęsti",
      codeIntro: "Patvirtinkite užklausą telefone. Patikrinkite, ar rodomas šis kontrolinis kodas:",
      approve: "Patvirtinau telefone",
      cancel: "Atšaukti",
      failure: "Imituoti klaidą",
      fail: "Imituoti klaidą",
      done: "Jūsų tapatybė patvirtinta.",
      loading: "Įkeliama…",
      failures: { 7023: "Atšaukė naudotojas", 6001: "Ne Mobile-ID naudotojas", 6005: "Baigėsi laikas", 6006: "Nėra Smart-ID paskyros" },
      errors: {
        7023: "Tapatybės patvirtinimas atšauktas.",
        6001: "Šis telefono numeris neturi Mobile-ID.",
        6005: "Baigėsi laikas. Bandykite dar kartą.",
        6006: "Šis asmuo neturi Smart-ID paskyros.",
        1005: "Ši sesija uždaryta. Pradėkite iš naujo.",
        0: "Įvyko klaida. Bandykite dar kartą."
      }
    },
    lv: {
      title: "Apliecināt identitāti",
      identity: "Testa identitāte",
      "continue": "Turpināt",
      codeIntro: "Apstipriniet pieprasījumu tālrunī. Pārbaudiet, vai tiek rādīts šis kontroles kods:",
      approve: "Es apstiprināju tālrunī",
      cancel: "Atcelt",
      failure: "Simulēt kļūdu",
      fail: "Simulēt kļūdu",
      done: "Jūsu identitāte ir apliecināta.",
      loading: "Ielādē…",
      failures: { 7023: "Lietotājs atcēla", 6001: "Nav Mobile-ID lietotājs", 6005: "Beidzās laiks", 6006: "Nav Smart-ID konta" },
      errors: {
        7023: "Identifikācija tika atcelta.",
        6001: "Šim tālruņa numuram nav Mobile-ID.",
        6005: "Beidzās laiks. Lūdzu, mēģiniet vēlreiz.",
        6006: "Šai personai nav Smart-ID konta.",
        1005: "Šī sesija ir slēgta. Lūdzu, sāciet no jauna.",
        0: "Radās kļūda. Lūdzu, mēģiniet vēlreiz."
      }
    },
    et: {
      title: "Tuvastage end",
      identity: "Testisik",
      "continue": "Jätka",
      codeIntro: "Kinnitage päring oma telefonis. Kontrollige, et seal oleks see kontrollkood:",
      approve: "Kinnitasin telefonis",
      cancel: "Katkesta",
      failure: "Simuleeri viga",
      fail: "Simuleeri viga",
      done: "Teid on tuvastatud.",
      loading: "Laadimine…",
      failures: { 7023: "Kasutaja katkestas", 6001: "Pole Mobiil-ID kasutaja", 6005: "Aeg sai läbi", 6006: "Smart-ID konto puudub" },
      errors: {
        7023: "Tuvastamine katkestati.",
        6001: "Sellel telefoninumbril pole Mobiil-ID-d.",
        6005: "Aeg sai läbi. Palun proovige uuesti.",
        6006: "Sellel isikul pole Smart-ID kontot.",
        1005: "See seanss on suletud. Palun alustage uuesti.",
        0: "Midagi läks valesti. Palun proovige uuesti."
      }
    },
    is: {
      title: "Auðkenndu þig",
      identity: "Prófunarauðkenni",
      "continue": "Áfram",
      codeIntro: "Staðfestu beiðnina í símanum. Gakktu úr skugga um að þessi öryggiskóði birtist:",
      approve: "Ég staðfesti í símanum",
      cancel: "Hætta við",
      failure: "Líkja eftir villu",
      fail: "Líkja eftir villu",
      done: "Þú hefur verið auðkennd(ur).",
      loading: "Hleður…",
      failures: { 7023: "Notandi hætti við", 6001: "Ekki Mobile-ID notandi", 6005: "Tími rann út", 6006: "Enginn Smart-ID reikningur" },
      errors: {
        7023: "Hætt var við auðkenningu.",
        6001: "Þetta símanúmer er ekki með Mobile-ID.",
        6005: "Tíminn rann út. Reyndu aftur.",
        6006: "Þessi einstaklingur er ekki með Smart-ID reikning.",
        1005: "Þessari lotu er lokið. Byrjaðu aftur.",
        0: "Eitthvað fór úrskeiðis. Reyndu aftur."
      }
    },
    ru: {
      title: "Подтвердите личность",
      identity: "Тестовая личность",
      "continue": "Продолжить",
      codeIntro: "Подтвердите запрос в телефоне. Убедитесь, что показан этот контрольный код:",
      approve: "Я подтвердил в телефоне",
      cancel: "Отменить",
      failure: "Смоделировать ошибку",
      fail: "Смоделировать ошибку",
      done: "Ваша личность подтверждена.",
      loading: "Загрузка…",
      failures: { 7023: "Отменено пользователем", 6001: "Не пользователь Mobile-ID", 6005: "Истекло время", 6006: "Нет учётной записи Smart-ID" },
      errors: {
        7023: "Идентификация отменена.",
        6001: "У этого номера телефона нет Mobile-ID.",
        6005: "Истекло время. Попробуйте ещё раз.",
        6006: "У этого человека нет учётной записи Smart-ID.",
        1005: "Этот сеанс закрыт. Начните заново.",
        0: "Что-то пошло не так. Попробуйте ещё раз."
      }
    }
  };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined) {
      node.textContent = text; // never innerHTML: names and messages are data
    }
    return node;
  }

  function DokobitIdentity(options) {
    if (!(this instanceof DokobitIdentity)) {
      return new DokobitIdentity(options);
    }
    this.options = options || {};
    this.locale = Object.prototype.hasOwnProperty.call(STRINGS, this.options.locale) ? this.options.locale : "en";
    this.t = STRINGS[this.locale];
    var host = this.options.host ? String(this.options.host).replace(/\/+$/, "") : "";
    this.base = host || scriptBase;
  }

  DokobitIdentity.prototype.log = function () {
    if (this.options.debug && window.console) {
      window.console.log.apply(window.console, ["[DokobitIdentity]"].concat([].slice.call(arguments)));
    }
  };

  DokobitIdentity.prototype.api = function (action, body) {
    var url = this.base + "/api/emulator/" + encodeURIComponent(this.options.sessionToken) + "/" + action;
    var init = body === undefined
      ? { method: "GET", credentials: "omit" }
      // text/plain keeps the request "simple": no CORS preflight when the page is on another origin.
      : { method: "POST", credentials: "omit", headers: { "Content-Type": "text/plain" }, body: JSON.stringify(body) };
    return fetch(url, init).then(function (response) {
      return response.json().then(function (data) {
        data.httpStatus = response.status;
        return data;
      });
    });
  };

  DokobitIdentity.prototype.init = function () {
    var selector = this.options.container || "#Dokobit-identity-container";
    this.container = typeof selector === "string" ? document.querySelector(selector) : selector;
    if (!this.container) {
      throw new Error("DokobitIdentity: container " + selector + " not found");
    }
    if (!this.options.sessionToken) {
      throw new Error("DokobitIdentity: sessionToken is required");
    }
    this.root = el("div", { "data-testid": "dokobit-identity-widget", "data-locale": this.locale, lang: this.locale });
    this.root.style.cssText = "font-family:system-ui,sans-serif;max-width:26rem;width:100%;box-sizing:border-box;" +
      "padding:1rem;border:1px solid #d5dbe1;border-radius:8px;background:" + (this.options.customBackground || "#fff");
    if (this.options.logo) {
      var logo = el("img", { src: this.options.logo, alt: "" });
      logo.style.cssText = "max-height:2.5rem;display:block;margin-bottom:.5rem";
      this.root.appendChild(logo);
    }
    this.root.appendChild(el("h2", { "data-testid": "dokobit-identity-title" }, this.t.title));
    this.body = el("div");
    this.root.appendChild(this.body);
    this.container.textContent = "";
    this.container.appendChild(this.root);
    this.body.appendChild(el("p", {}, this.t.loading));
    var self = this;
    this.api("session").then(function (data) {
      if (data.status !== "ok") {
        return self.showError(data.code || 0);
      }
      if (data.state === "started" && data.control_code) {
        return self.renderCode(data.control_code);
      }
      self.renderChoice(data.identities, data.selected);
    }, function () { self.showError(0); });
    return this;
  };

  DokobitIdentity.prototype.button = function (testid, text, primary) {
    var button = el("button", { type: "button", "data-testid": testid }, text);
    var color = this.options.primaryColor || "#0088cc";
    button.style.cssText = "display:block;width:100%;box-sizing:border-box;margin:.5rem 0;padding:.6rem;" +
      "font-size:1rem;border-radius:4px;cursor:pointer;border:1px solid " + color + ";" +
      (primary ? "color:#fff;background:" + color : "color:" + color + ";background:#fff");
    return button;
  };

  DokobitIdentity.prototype.select = function (testid, label, choices, selected) {
    var id = "dokobit-" + testid + "-" + Math.random().toString(36).slice(2, 8);
    var wrap = el("div");
    wrap.appendChild(el("label", { "for": id }, label));
    var select = el("select", { id: id, "data-testid": testid });
    select.style.cssText = "display:block;width:100%;box-sizing:border-box;margin:.5rem 0;padding:.5rem;font-size:1rem";
    choices.forEach(function (choice) {
      var option = el("option", { value: choice.value }, choice.label);
      option.selected = choice.value === selected;
      select.appendChild(option);
    });
    wrap.appendChild(select);
    return { wrap: wrap, select: select };
  };

  DokobitIdentity.prototype.renderChoice = function (identities, selected) {
    var self = this;
    this.body.textContent = "";
    var choice = this.select("dokobit-identity-select", this.t.identity, identities.map(function (person) {
      return { value: person.key, label: person.label };
    }), selected);
    this.body.appendChild(choice.wrap);
    var go = this.button("dokobit-identity-continue", this.t["continue"], true);
    go.addEventListener("click", function () {
      if (self.options.useValidator !== false && !choice.select.value) {
        return;
      }
      go.disabled = true;
      self.api("start", { identity: choice.select.value }).then(function (data) {
        if (data.status !== "ok") {
          return self.showError(data.code === 10000 ? 0 : data.code || 0);
        }
        self.renderCode(data.control_code);
      }, function () { self.showError(0); });
    });
    this.body.appendChild(go);
    this.body.appendChild(this.cancelButton());
  };

  DokobitIdentity.prototype.cancelButton = function () {
    var self = this;
    var cancel = this.button("dokobit-identity-cancel", this.t.cancel, false);
    cancel.addEventListener("click", function () { self.finishFailure(7023); });
    return cancel;
  };

  DokobitIdentity.prototype.renderCode = function (controlCode) {
    var self = this;
    this.body.textContent = "";
    this.body.appendChild(el("p", {}, this.t.codeIntro));
    var code = el("p", { "data-testid": "dokobit-control-code" }, controlCode);
    code.style.cssText = "font-size:2rem;letter-spacing:.3rem;text-align:center;margin:1rem 0";
    this.body.appendChild(code);
    var approve = this.button("dokobit-identity-approve", this.t.approve, true);
    approve.addEventListener("click", function () {
      approve.disabled = true;
      self.api("finish", { outcome: "approve" }).then(function (data) {
        if (data.status !== "ok") {
          return self.showError(data.code === 10000 ? 0 : data.code || 0);
        }
        self.body.textContent = "";
        self.body.appendChild(el("p", { "data-testid": "dokobit-identity-done", role: "status" }, self.t.done));
        self.log("authenticated");
        if (typeof self.options.callback === "function") {
          self.options.callback();
        } else if (data.return_url) {
          // No callback: like Dokobit's widget, go to the session's return_url with session_token.
          window.location.assign(data.return_url);
        }
      }, function () { self.showError(0); });
    });
    this.body.appendChild(approve);
    this.body.appendChild(this.cancelButton());
    var t = this.t;
    var failure = this.select("dokobit-identity-failure", t.failure, [7023, 6001, 6005, 6006].map(function (value) {
      return { value: String(value), label: value + " — " + t.failures[value] };
    }), "7023");
    this.body.appendChild(failure.wrap);
    var fail = this.button("dokobit-identity-fail", t.fail, false);
    fail.addEventListener("click", function () { self.finishFailure(parseInt(failure.select.value, 10)); });
    this.body.appendChild(fail);
  };

  DokobitIdentity.prototype.finishFailure = function (code) {
    var self = this;
    this.api("finish", { outcome: "fail", code: code }).then(function (data) {
      self.showError(data.status === "error" && data.code !== 10000 ? data.code : code);
    }, function () { self.showError(code); });
  };

  DokobitIdentity.prototype.showError = function (code) {
    this.log("error", code);
    this.body.textContent = "";
    var message = this.t.errors[code] || this.t.errors[0];
    var box = el("p", { "data-testid": "dokobit-identity-error", "data-code": String(code), role: "alert" }, message);
    box.style.cssText = "color:#a40000";
    this.body.appendChild(box);
    this.container.dispatchEvent(new CustomEvent("dokobit-identity:error", { bubbles: true, detail: { code: code } }));
  };

  window.DokobitIdentity = DokobitIdentity;
})();
