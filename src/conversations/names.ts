// How a person is called everywhere (lists, headers, search, contacts, the API): the name they
// were given, or a readable placeholder while Meta has not told us (or will not).
export function displayName(contact: { name: string | null | undefined; psid: string }): string {
  return contact.name?.trim() || `Messenger user ${contact.psid.slice(-4)}`;
}
