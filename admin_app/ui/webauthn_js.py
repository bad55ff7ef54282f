"""The browser side of passkeys: JavaScript expressions for `rx.call_script`.

Each function returns one JS expression (an async IIFE) whose Promise never
rejects and resolves to a plain JSON-able value, which Reflex hands to the
call's callback. A ceremony resolves to

    {"ok": true, "credential": "<JSON of the PublicKeyCredential>"}
    {"ok": false, "error": "<DOMException name>", "message": "..."}

The credential JSON has the `PublicKeyCredential.toJSON()` shape that
py_webauthn's `verify_*_response` parse. Base64url is done by hand here, not by
`PublicKeyCredential.parse*FromJSON` / `toJSON`, which older browsers lack.

Only one WebAuthn request can be pending in a tab, and a conditional (autofill)
sign-in waits indefinitely, so every request first aborts the pending
conditional one, kept on `window.__adminPasskeyAbort` (an AbortController),
and waits for it to settle (it resolves `{"ok": false, "error": "AbortError"}`).
"""

from __future__ import annotations

import json

# Helpers shared by every expression: there is no script-loading order to rely
# on, so each expression carries its own copy.
_HELPERS = """
  const toBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
  };
  const toText = (buffer) => {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  };
  const withIds = (list) => (list || []).map((item) => ({ ...item, id: toBytes(item.id) }));
  const credentialJson = (credential) => {
    const reply = credential.response;
    const response = { clientDataJSON: toText(reply.clientDataJSON) };
    if (reply.attestationObject) {
      response.attestationObject = toText(reply.attestationObject);
      response.transports = reply.getTransports ? reply.getTransports() : [];
    } else {
      response.authenticatorData = toText(reply.authenticatorData);
      response.signature = toText(reply.signature);
      response.userHandle = reply.userHandle ? toText(reply.userHandle) : null;
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
    });
  };
  const failure = (error) => ({
    ok: false,
    error: (error && error.name) || "Error",
    message: String((error && error.message) || error),
  });
  const abortPending = async () => {
    const controller = window.__adminPasskeyAbort;
    const settled = window.__adminPasskeySettled;
    window.__adminPasskeyAbort = null;
    window.__adminPasskeySettled = null;
    if (controller) {
      controller.abort();
      await settled;
    }
  };
  const ceremony = async (request) => {
    try {
      if (!window.PublicKeyCredential || !navigator.credentials) {
        return { ok: false, error: "NotSupportedError", message: "WebAuthn is not available" };
      }
      const credential = await request();
      if (!credential) return { ok: false, error: "NotAllowedError", message: "no credential" };
      return { ok: true, credential: credentialJson(credential) };
    } catch (error) {
      return failure(error);
    }
  };
"""

_CREATE = """
  await abortPending();
  return ceremony(() => {
    const options = JSON.parse(OPTIONS_JSON);
    const publicKey = {
      ...options,
      challenge: toBytes(options.challenge),
      user: { ...options.user, id: toBytes(options.user.id) },
      excludeCredentials: withIds(options.excludeCredentials),
    };
    return navigator.credentials.create({ publicKey });
  });
"""

_GET = """
  await abortPending();
  const conditional = CONDITIONAL;
  const controller = new AbortController();
  const settled = ceremony(() => {
    const options = JSON.parse(OPTIONS_JSON);
    const publicKey = {
      ...options,
      challenge: toBytes(options.challenge),
      allowCredentials: withIds(options.allowCredentials),
    };
    const request = { publicKey, signal: controller.signal };
    if (conditional) request.mediation = "conditional";
    return navigator.credentials.get(request);
  });
  if (conditional) {
    window.__adminPasskeyAbort = controller;
    window.__adminPasskeySettled = settled;
  }
  const result = await settled;
  if (window.__adminPasskeyAbort === controller) {
    window.__adminPasskeyAbort = null;
    window.__adminPasskeySettled = null;
  }
  return result;
"""

_CONDITIONAL_AVAILABLE = """(async () => {
  try {
    const check = window.PublicKeyCredential?.isConditionalMediationAvailable;
    return check ? (await check.call(window.PublicKeyCredential)) === true : false;
  } catch (error) {
    return false;
  }
})()"""


def _expression(body: str, options_json: str) -> str:
    # json.dumps makes the options one JS string literal, parsed in the browser:
    # nothing in them (a user's display name) can become code.
    literal = json.dumps(options_json)
    return "(async () => {" + _HELPERS + body.replace("OPTIONS_JSON", literal) + "})()"


def create_call(options_json: str) -> str:
    """A JS expression registering a passkey with py_webauthn's creation options JSON."""
    return _expression(_CREATE, options_json)


def get_call(options_json: str, *, conditional: bool) -> str:
    """A JS expression signing in with py_webauthn's request options JSON.

    conditional=True waits for the user to pick a passkey from the autofill of
    an input with autocomplete="username webauthn"; it resolves AbortError when
    a later ceremony replaces it.
    """
    body = _GET.replace("CONDITIONAL", "true" if conditional else "false")
    return _expression(body, options_json)


def conditional_available_call() -> str:
    """A JS expression resolving true when this browser offers passkeys in autofill."""
    return _CONDITIONAL_AVAILABLE
