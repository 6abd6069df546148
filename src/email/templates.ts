// The emails, rendered from Liquid templates in files: djoser's six (djoser/templates/email/*.html) and
// django-allauth 0.51's account emails, for the dj-rest-auth surface. templates/email/README.md describes the layout,
// the variables and how an override directory replaces single files.
//
// Liquid rather than JS template strings so an operator can change the wording without code (Django-like syntax, no
// arbitrary JS). Everything that can go wrong with a template (a missing file, a typo in a variable or filter) fails
// in createEmailRenderer, at startup, by rendering every email once with sample values; never at send time.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Liquid, type Template } from 'liquidjs';

/** djoser's emails. */
export type EmailKind =
  | 'activation'
  | 'confirmation'
  | 'password_reset'
  | 'password_changed_confirmation'
  | 'username_reset'
  | 'username_changed_confirmation'
  /** authstream's own (EMAIL_CHANGED_NOTICE): to the previous address, when the account's email changes. */
  | 'email_changed_notice';

/** django-allauth's account emails (account/email/<kind>_subject.txt and _message.txt). */
export type AllauthEmailKind = 'email_confirmation' | 'email_confirmation_signup' | 'password_reset_key';

export type AnyEmailKind = EmailKind | AllauthEmailKind;

/** A djoser email's context. */
export interface EmailContext {
  readonly siteName: string;
  readonly protocol: string;
  readonly domain: string;
  readonly username: string;
  /** The path part of the link (ACTIVATION_URL etc. with uid and token filled in); absent for confirmations. */
  readonly url?: string;
  /** email_changed_notice: the address the account has now. */
  readonly newEmail?: string;
}

/** allauth's email confirmation context (send_confirmation_mail). */
export interface AllauthConfirmationContext {
  readonly siteName: string;
  readonly siteDomain: string;
  /** allauth's user_display(user): the username by default. */
  readonly userDisplay: string;
  readonly activateUrl: string;
}

/** allauth's password reset context (ResetPasswordForm.save). */
export interface AllauthPasswordResetContext {
  readonly siteName: string;
  readonly siteDomain: string;
  readonly passwordResetUrl: string;
  /** Left out by allauth when accounts log in by email only; the "in case you forgot" line goes with it. */
  readonly username?: string;
}

export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** allauth 0.51 ships text bodies only; an <kind>.html.liquid in the override directory adds an HTML part. */
export interface AllauthRenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

interface Kinds {
  activation: [EmailContext, RenderedEmail];
  confirmation: [EmailContext, RenderedEmail];
  password_reset: [EmailContext, RenderedEmail];
  password_changed_confirmation: [EmailContext, RenderedEmail];
  username_reset: [EmailContext, RenderedEmail];
  username_changed_confirmation: [EmailContext, RenderedEmail];
  email_changed_notice: [EmailContext, RenderedEmail];
  email_confirmation: [AllauthConfirmationContext, AllauthRenderedEmail];
  email_confirmation_signup: [AllauthConfirmationContext, AllauthRenderedEmail];
  password_reset_key: [AllauthPasswordResetContext, AllauthRenderedEmail];
}
export type ContextOf<K extends AnyEmailKind> = Kinds[K][0];
export type RenderedOf<K extends AnyEmailKind> = Kinds[K][1];

export interface EmailRenderer {
  /** The language whose templates come first: the one asked for, or the fallback when there are none for it. */
  readonly language: string;
  render<K extends AnyEmailKind>(kind: K, context: ContextOf<K>): Promise<RenderedOf<K>>;
  renderSync<K extends AnyEmailKind>(kind: K, context: ContextOf<K>): RenderedOf<K>;
}

export interface EmailRendererOptions {
  /** A directory laid out like templates/email/: each file in it replaces the shipped file of the same name. */
  readonly templatesDir?: string | undefined;
  /** Django's LANGUAGE_CODE: 'de', 'de-at' (then 'de'), 'pt_BR'. Without templates for it, the fallback's are used. */
  readonly language?: string | undefined;
  readonly fallbackLanguage?: string | undefined;
  /** allauth's ACCOUNT_EMAIL_SUBJECT_PREFIX for its emails; allauth's default is "[<site name>] ". */
  readonly allauthSubjectPrefix?: string | undefined;
}

type Vars = Record<string, unknown>;
type Family = { readonly allauth: boolean; readonly vars: (c: never) => Vars; readonly sample: object };

// The variables djoser's and allauth's templates use, under their names there, so their templates port as they are.
const djoser = (c: EmailContext): Vars => ({
  site_name: c.siteName,
  protocol: c.protocol,
  domain: c.domain,
  url: c.url ?? '',
  user: { username: c.username, get_username: c.username },
  new_email: c.newEmail ?? '',
});
const allauthSite = (c: { siteName: string; siteDomain: string }): Vars => ({
  site_name: c.siteName,
  site_domain: c.siteDomain,
  current_site: { name: c.siteName, domain: c.siteDomain },
});
const confirmation = (c: AllauthConfirmationContext): Vars => ({
  ...allauthSite(c),
  user_display: c.userDisplay,
  activate_url: c.activateUrl,
});
// Absent values are null rather than missing, so that strictVariables only ever trips over a typo.
const reset = (c: AllauthPasswordResetContext): Vars => ({
  ...allauthSite(c),
  password_reset_url: c.passwordResetUrl,
  username: c.username ?? null,
});

const djoserKind: Family = {
  allauth: false,
  vars: djoser,
  sample: { siteName: 's', protocol: 'https', domain: 'd', username: 'u', url: 'x' },
};
const confirmationKind: Family = {
  allauth: true,
  vars: confirmation,
  sample: { siteName: 's', siteDomain: 'd', userDisplay: 'u', activateUrl: 'x' },
};
const KINDS: Record<AnyEmailKind, Family> = {
  activation: djoserKind,
  confirmation: djoserKind,
  password_reset: djoserKind,
  password_changed_confirmation: djoserKind,
  username_reset: djoserKind,
  username_changed_confirmation: djoserKind,
  email_changed_notice: djoserKind,
  email_confirmation: confirmationKind,
  email_confirmation_signup: confirmationKind,
  password_reset_key: { allauth: true, vars: reset, sample: { siteName: 's', siteDomain: 'd', passwordResetUrl: 'x', username: 'u' } },
};
const PARTS = ['subject', 'txt', 'html'] as const;

/** Django's escape(): the same five characters and entities, so HTML matches djoser's byte for byte. */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };
const escapeHtml = (value: unknown) => String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** Subjects are one line: a header cannot hold a newline (Django refuses it; allauth joins the lines). */
const oneLine = (s: string) =>
  s
    .split(/\r\n|\r|\n/)
    .join(' ')
    .trim();

/** The templates shipped with authstream: <package root>/templates/email, from src/ and from dist/src/ alike. */
export function shippedTemplatesDir(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ;) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'templates', 'email');
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}: cannot find templates/email`);
    dir = parent;
  }
}

/** 'de-at' → ['de-at', 'de', fallback]: the most specific language first, as Django looks up translations. */
function languageChain(language: string, fallback: string): string[] {
  const normal = (code: string) => {
    const c = code.trim().toLowerCase().replaceAll('_', '-');
    if (!/^[a-z]{2,3}(-[a-z0-9]{1,8})*$/.test(c))
      throw new Error(`email language ${JSON.stringify(code)} is not a language code like "en", "de" or "pt-br"`);
    return c;
  };
  const chain: string[] = [];
  for (let c = normal(language); c; c = c.includes('-') ? c.slice(0, c.lastIndexOf('-')) : '') chain.push(c);
  return [...new Set([...chain, normal(fallback)])];
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** An override file that no lookup would ever read is a mistake (a typo in its name, or no language folder). */
function checkOverrideDir(dir: string): void {
  if (!isDir(dir)) throw new Error(`email templates directory ${dir} does not exist or is not a directory`);
  const known = new Set(Object.keys(KINDS).flatMap((k) => PARTS.map((p) => `${k}.${p}.liquid`)));
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    if (!isDir(path.join(dir, entry)))
      throw new Error(`email template ${path.join(dir, entry)}: templates go in a language folder, e.g. ${path.join(dir, 'en', entry)}`);
    for (const file of readdirSync(path.join(dir, entry))) {
      // Names starting with _ are layouts and includes (like allauth's base message), looked up by other templates.
      if (file.startsWith('.') || file.startsWith('_') || known.has(file)) continue;
      throw new Error(
        `email template ${path.join(dir, entry, file)}: not a template name (<kind>.subject.liquid, .txt.liquid or .html.liquid)`,
      );
    }
  }
}

export function createEmailRenderer(options: EmailRendererOptions = {}): EmailRenderer {
  const { templatesDir } = options;
  if (templatesDir !== undefined) checkOverrideDir(templatesDir);
  const shipped = shippedTemplatesDir();
  const chain = languageChain(options.language ?? 'en', options.fallbackLanguage ?? 'en');
  const roots = chain
    .flatMap((lang) => [...(templatesDir === undefined ? [] : [path.join(templatesDir, lang)]), path.join(shipped, lang)])
    .filter(isDir);
  const language = chain.find((lang) => roots.some((r) => path.basename(r) === lang));
  const fallback = chain.at(-1)!;
  if (!roots.some((r) => path.basename(r) === fallback))
    throw new Error(`no email templates for the fallback language ${JSON.stringify(fallback)}`);

  // Includes and layouts are looked up through the same roots, so an override of a shared file applies everywhere.
  const common = {
    root: roots,
    relativeReference: false,
    cache: true,
    strictVariables: true,
    lenientIf: true, // `{% if username %}` is how a template asks whether there is one
    strictFilters: true,
    jsTruthy: true, // '' and null are false, as in Django
    ownPropertyOnly: true,
  };
  const text = new Liquid(common);
  const html = new Liquid({ ...common, outputEscape: escapeHtml });

  type Part = { readonly file: string; readonly engine: Liquid; readonly template: Template[] };
  const compiled = new Map<AnyEmailKind, Partial<Record<(typeof PARTS)[number], Part>>>();
  for (const kind of Object.keys(KINDS) as AnyEmailKind[]) {
    const parts: Partial<Record<(typeof PARTS)[number], Part>> = {};
    for (const part of PARTS) {
      const file = roots.map((r) => path.join(r, `${kind}.${part}.liquid`)).find((f) => existsSync(f));
      if (!file) {
        if (part === 'html' && KINDS[kind].allauth) continue;
        throw new Error(
          `no email template ${kind}.${part}.liquid for ${chain.join(', ')} in ${[templatesDir, shipped].filter(Boolean).join(' or ')}`,
        );
      }
      const engine = part === 'html' ? html : text;
      try {
        parts[part] = { file, engine, template: engine.parse(readFileSync(file, 'utf8'), file) };
      } catch (error) {
        throw new Error(`email template ${file}: ${(error as Error).message}`, { cause: error });
      }
    }
    compiled.set(kind, parts);
  }

  const partsOf = (kind: AnyEmailKind) => {
    const { subject, txt, html } = compiled.get(kind)!;
    return [subject, txt, html];
  };
  const prefix = (vars: Vars) => options.allauthSubjectPrefix ?? `[${String(vars.site_name)}] `;
  function finish(kind: AnyEmailKind, vars: Vars, subject: string, body: string, htmlBody: string | undefined) {
    if (!KINDS[kind].allauth) return { subject: oneLine(subject), text: body, html: htmlBody! };
    // allauth's render_mail: subject prefixed, bodies stripped.
    return { subject: prefix(vars) + oneLine(subject), text: body.trim(), ...(htmlBody === undefined ? {} : { html: htmlBody.trim() }) };
  }

  const renderer: EmailRenderer = {
    language: language!,
    async render(kind, context) {
      const vars = KINDS[kind].vars(context as never);
      const [s, b, h] = await Promise.all(partsOf(kind).map((p) => p?.engine.render(p.template, vars)));
      return finish(kind, vars, s, b, h) as RenderedOf<typeof kind>;
    },
    renderSync(kind, context) {
      const vars = KINDS[kind].vars(context as never);
      const [s, b, h] = partsOf(kind).map((p) => p?.engine.renderSync(p.template, vars));
      return finish(kind, vars, s, b, h) as RenderedOf<typeof kind>;
    },
  };

  // Render each template once now: an unknown variable, a missing include or layout fails here, not at send time.
  for (const [kind, parts] of compiled) {
    for (const { file, engine, template } of Object.values(parts)) {
      try {
        engine.renderSync(template, KINDS[kind].vars(KINDS[kind].sample as never));
      } catch (error) {
        throw new Error(`email template ${file}: ${(error as Error).message}`, { cause: error });
      }
    }
  }
  return renderer;
}

let english: EmailRenderer | undefined;

/**
 * The shipped English templates, synchronously: the entry point from before the templates moved to files, kept so
 * callers move to createEmailRenderer (with LANGUAGE_CODE and EMAIL_TEMPLATES_DIR) at their own pace.
 */
export function renderEmail(kind: EmailKind, context: EmailContext): RenderedEmail {
  english ??= createEmailRenderer();
  return english.renderSync(kind, context);
}
