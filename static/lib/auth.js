// Who is signed in, kept on the device. The token also travels as an HttpOnly cookie; this copy
// lets requests carry it as a bearer header and the app know the user's name and village offline.

const TOKEN = 'pufa.token';
const USER = 'pufa.user';

export const session = {
  get token() { return localStorage.getItem(TOKEN); },
  get user() { try { return JSON.parse(localStorage.getItem(USER)); } catch { return null; } },
  signedIn() { return Boolean(localStorage.getItem(TOKEN)); },
  /** After register or login: `{token, user}`. */
  keep(result) {
    localStorage.setItem(TOKEN, result.token);
    localStorage.setItem(USER, JSON.stringify(result.user));
  },
  updateUser(user) { localStorage.setItem(USER, JSON.stringify(user)); },
  forget() { localStorage.removeItem(TOKEN); localStorage.removeItem(USER); },
};
