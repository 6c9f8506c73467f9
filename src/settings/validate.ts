// Checks for the business profile form; each problem is keyed by field so the form can show it in place.
import { EMAIL } from '../auth/users';
import type { BusinessProfile } from './store';

export function validateBusinessProfile(body: Record<string, unknown>): {
  profile: BusinessProfile;
  problems: Record<string, string>;
} {
  const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim() : '');
  const profile = { businessName: text('business_name'), contactEmail: text('contact_email'), website: text('website') };
  const problems: Record<string, string> = {};
  if (profile.businessName.length > 120) problems.business_name = 'Keep the name under 120 characters.';
  if (profile.contactEmail && !EMAIL.test(profile.contactEmail)) {
    problems.contact_email = 'Enter an email address like hello@example.com.';
  }
  if (profile.website) {
    try {
      const url = new URL(/^https?:\/\//i.test(profile.website) ? profile.website : `https://${profile.website}`);
      profile.website = url.toString().replace(/\/$/, '');
    } catch {
      problems.website = 'Enter a web address like https://example.com.';
    }
  }
  return { profile, problems };
}
