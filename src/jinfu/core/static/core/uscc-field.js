/*
 * Live USCC (统一社会信用代码) validation — progressive enhancement, no inline script (CSP script-src 'self').
 * Any <input data-uscc-check> gets checked on input (debounced) and blur against /api/v1/codes/uscc/<value>;
 * the Chinese reason (or the decoded authority/type/division when valid) goes into an adjacent
 * <small class="uscc-feedback"> (created if absent, linked with aria-describedby), and aria-invalid is set.
 * Optional: data-uscc-endpoint="/api/v1/codes/uscc/" to override the endpoint.
 */
(function () {
  "use strict";

  var DEFAULT_ENDPOINT = "/api/v1/codes/uscc/";
  var counter = 0;

  function feedbackFor(input) {
    var el = null;
    var sib = input.nextElementSibling;
    if (sib && sib.classList && sib.classList.contains("uscc-feedback")) {
      el = sib;
    } else if (input.parentNode) {
      el = input.parentNode.querySelector(".uscc-feedback");
    }
    if (!el) {
      el = document.createElement("small");
      el.className = "uscc-feedback";
      input.insertAdjacentElement("afterend", el);
    }
    if (!el.id) {
      counter += 1;
      el.id = (input.id || "uscc") + "-feedback-" + counter;
    }
    el.setAttribute("aria-live", "polite");
    var described = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (described.indexOf(el.id) < 0) {
      described.push(el.id);
      input.setAttribute("aria-describedby", described.join(" "));
    }
    return el;
  }

  function show(input, ok, text) {
    var el = feedbackFor(input);
    el.textContent = text;
    el.classList.toggle("uscc-ok", ok === true);
    el.classList.toggle("uscc-error", ok === false);
    if (ok === null) {
      input.removeAttribute("aria-invalid");
    } else {
      input.setAttribute("aria-invalid", ok ? "false" : "true");
    }
  }

  function describe(data) {
    var parts = ["✓ 校验通过"];
    if (data.authority_name) {
      parts.push(data.authority_name + (data.org_type_name ? "·" + data.org_type_name : ""));
    }
    if (data.division) {
      parts.push(data.division.full_name + "（" + data.division.code + "）");
    } else if (data.division_code) {
      parts.push("登记机关区划 " + data.division_code);
    }
    return parts.join("　");
  }

  function check(input) {
    var value = (input.value || "").trim().toUpperCase();
    if (!value) {
      show(input, null, "");
      return;
    }
    if (value.length < 18 && document.activeElement === input) {
      show(input, null, "已输入 " + value.length + "/18 位");
      return;
    }
    var endpoint = input.getAttribute("data-uscc-endpoint") || DEFAULT_ENDPOINT;
    var seq = (input._usccSeq = (input._usccSeq || 0) + 1);
    fetch(endpoint + encodeURIComponent(value), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (resp) {
        if (!resp.ok) {
          throw new Error("HTTP " + resp.status);
        }
        return resp.json();
      })
      .then(function (data) {
        if (seq !== input._usccSeq) {
          return; // a newer request is in flight
        }
        if (data.valid) {
          show(input, true, describe(data));
        } else {
          show(input, false, "✗ " + data.reason_zh);
        }
      })
      .catch(function () {
        if (seq === input._usccSeq) {
          show(input, null, "暂时无法校验，请稍后再试");
        }
      });
  }

  function enhance(input) {
    if (input._usccEnhanced) {
      return;
    }
    input._usccEnhanced = true;
    feedbackFor(input);
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        check(input);
      }, 300);
    });
    input.addEventListener("blur", function () {
      clearTimeout(timer);
      check(input);
    });
    if (input.value) {
      check(input);
    }
  }

  function init(root) {
    var inputs = (root || document).querySelectorAll("input[data-uscc-check]");
    for (var i = 0; i < inputs.length; i += 1) {
      enhance(inputs[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      init(document);
    });
  } else {
    init(document);
  }
  window.jinfuUsccField = { init: init };
})();
