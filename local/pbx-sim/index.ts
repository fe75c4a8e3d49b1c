/** Beeline Cloud PBX simulator: public entry point. */
export { DEFAULT_PBX, seedDefaultPbx, startPbxSimulator } from './server.js';
export type { PbxSimulator, PbxSimulatorOptions } from './server.js';
export { DEFAULT_FAULTS, PbxSimState, SimInputError, PbxApiError } from './state.js';
export type {
  Abonent,
  AbonentInput,
  CallView,
  Faults,
  FaultsInput,
  LegView,
  PbxInput,
  PlayCallInput,
  RequestLogEntry,
  SentEvent,
  SubscriptionView,
} from './state.js';
export { parsePhoneNumber } from './phone.js';
export { escapeXml, XSI_NS, XSI1_NS } from './xml.js';
export { startWebhookReceiver } from './receiver.js';
export type { ReceivedRequest, WebhookReceiver } from './receiver.js';
