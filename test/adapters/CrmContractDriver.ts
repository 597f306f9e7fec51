import type { Logger } from 'pino';
import type { CrmAdapter, CrmProvider } from '../../src/crm/CrmAdapter.js';
import type { CrmRejectedError, RecordNotFoundError } from '../../src/crm/errors.js';
import type { FakeCrmServer } from '../fakes/FakeCrmServer.js';

/** A comment as the vendor stored it; `internal` = visible to agents only. */
export interface StoredComment {
  body: string;
  internal: boolean;
}

/** A spelling of a record's id and the one key (canonicalRecordId) it must map to. */
export interface IdSpelling {
  spelling: string;
  key: string;
}

export interface DriverAdapterOptions {
  logger?: Logger;
  /** 'wrong': a credential the fake refuses (the vendor answers 401). */
  credentials?: 'valid' | 'wrong';
}

/**
 * What the CrmAdapter contract suite (crmAdapterContract.test.ts) needs to know about one vendor: its loopback
 * fake, how its real adapter is configured against it, and how to seed and read back records and comments.
 * Everything else the suite asserts is the same for every vendor.
 */
export interface CrmContractDriver {
  readonly provider: CrmProvider;
  /** A fresh loopback fake, not started yet. */
  readonly fake: FakeCrmServer;
  /** The vendor's batch limit, as the adapter must announce it. */
  readonly maxBatchSize: number;
  /** Raw status of a record seeded open / closed with the fake's defaults. */
  readonly rawStatus: { readonly open: string; readonly closed: string };
  /** Ids that look almost right for this vendor but must be refused (the suite adds ones every vendor refuses). */
  readonly malformedIds: readonly string[];
  /** How addComment on a record that does not exist fails (never retried either way). */
  readonly commentOnUnknownRecord: typeof RecordNotFoundError | typeof CrmRejectedError;
  /** Whether reopen is implemented; otherwise it must refuse with CrmRejectedError, sending nothing. */
  readonly supportsReopen: boolean;
  /** What the constructor says when the config has no credentials. */
  readonly missingCredentials: RegExp;

  /** The real adapter, configured from the fake's crm section as validated by the product's config schema. */
  newAdapter(options?: DriverAdapterOptions): CrmAdapter;
  /** The real adapter from that config with every credential removed (must throw). */
  newAdapterWithoutCredentials(): CrmAdapter;
  /** A well-formed id of a record the fake does not have. */
  unknownId(): string;
  /** Well-formed ids in every shape the vendor accepts. */
  wellFormedIds(): string[];
  /** The other spellings of a seeded record's id that must find the same record (letter case, short form, number). */
  otherSpellings(id: string): IdSpelling[];
  /** Seeds a comment of the kind addComment writes, created at `createdAt`. */
  seedComment(id: string, body: string, createdAt: Date): void;
  comments(id: string): StoredComment[];
  /** The ids each multi-record read request carried, in the order sent. */
  batchReads(): string[][];
  /** Credentials that must never reach a log line. */
  secrets(): string[];
}
