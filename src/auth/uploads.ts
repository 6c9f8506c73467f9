// File uploads (the composer's attachments, the Simulator's): multipart bodies parsed in memory
// within limits, the CSRF token checked before a single file byte is read (the form's hidden
// `_csrf` field comes first; a file part arriving without a valid token stops the upload), and
// every way an upload can go wrong answered with a clear 4xx instead of an error page.
import type { RequestHandler } from 'express';
import multer from 'multer';
import { AppError } from '../core/errors';
import { MAX_FILE_BYTES } from '../conversations/outbound';
import { csrfValid } from './middleware';

const MULTER_ERRORS: Record<string, [number, string, string]> = {
  LIMIT_FILE_SIZE: [413, 'file-too-large', "A file is larger than Messenger's 25 MB limit."],
  LIMIT_FILE_COUNT: [400, 'too-many-files', 'Attach at most {max} files at once.'],
  LIMIT_UNEXPECTED_FILE: [400, 'unexpected-file', 'The form sent a file in a field it does not have.'],
  LIMIT_FIELD_COUNT: [400, 'too-many-fields', 'The form sent more fields than it has.'],
  LIMIT_FIELD_VALUE: [413, 'field-too-large', 'A field of the form is too long.'],
  LIMIT_PART_COUNT: [400, 'too-many-parts', 'The form sent more parts than it has.'],
  LIMIT_FIELD_KEY: [400, 'field-name-too-long', 'The form sent a field with a name that is too long.'],
};

/** Parses a form with up to `maxFiles` files in field `field`; the files land in req.files. */
export function uploads(field: string, maxFiles: number): RequestHandler {
  const parse = multer({
    storage: multer.memoryStorage(),
    // File names as the browser sent them: UTF-8 (multer's default reads them as latin1).
    defParamCharset: 'utf8',
    limits: { fileSize: MAX_FILE_BYTES, files: maxFiles, fields: 20, fieldSize: 100 * 1024, parts: maxFiles + 20 },
    fileFilter: (req, _file, accept) => {
      if (req.apiToken || csrfValid(req)) return accept(null, true);
      accept(new AppError(403, 'csrf-failed', 'This form has expired. Reload the page and try again.'));
    },
  }).array(field, maxFiles);
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (err instanceof multer.MulterError) {
        const [status, code, message] = MULTER_ERRORS[err.code] ?? [400, 'bad-upload', 'The upload could not be read.'];
        return next(new AppError(status, code, message.replace('{max}', String(maxFiles))));
      }
      if (err instanceof AppError) return next(err);
      // busboy's own errors: a body cut off, a boundary that never ends, a malformed header.
      if (err) return next(new AppError(400, 'malformed-upload', 'The upload was cut off or could not be read. Try again.'));
      // A form without files had no file part to check the token at: its fields are all read now.
      if (!req.apiToken && !csrfValid(req))
        return next(new AppError(403, 'csrf-failed', 'This form has expired. Reload the page and try again.'));
      next();
    });
  };
}
