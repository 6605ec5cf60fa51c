// A signed-in person with no membership yet (e.g. before accepting an invitation).
import { h, mount, pageTitle } from "../ui.js";

export async function welcomePage(main) {
  mount(
    main,
    pageTitle("Welcome"),
    h("p", {}, "You are signed in, but your account is not a member of any MSP or customer yet."),
    h("p", {}, "Ask your administrator for an invitation, then open its link while signed in."),
  );
}
