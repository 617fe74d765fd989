// Colours: risk bands (store.js RISK_BANDS) and hazards. Red means a node is
// disrupted (observed) or critically at risk.
import { BAND } from './store.js';

export const BAND_COLORS = {
  [BAND.none]: '#9aa5b1',
  [BAND.recovered]: '#41ab5d',
  [BAND.immunized]: '#2c7fb8',
  [BAND.low]: '#f7d774',
  [BAND.warning]: '#fc8d3c',
  [BAND.critical]: '#e0301e',
  [BAND.disrupted]: '#b2182b',
};

export const BAND_LABELS = {
  [BAND.none]: 'no risk',
  [BAND.recovered]: 'recovered',
  [BAND.immunized]: 'protected',
  [BAND.low]: 'risk < 30%',
  [BAND.warning]: 'warning ≥ 30%',
  [BAND.critical]: 'critical ≥ 70%',
  [BAND.disrupted]: 'disrupted',
};

const HAZARD_COLORS = {
  HAZARD_EARTHQUAKE: '#8c510a',
  HAZARD_FLOOD: '#2166ac',
  HAZARD_STORM: '#5e3c99',
  HAZARD_WILDFIRE: '#d6604d',
  HAZARD_VOLCANO: '#b2182b',
  HAZARD_DROUGHT: '#bf812d',
  HAZARD_PANDEMIC: '#1b7837',
};

export function hazardColor(hazard) {
  return HAZARD_COLORS[hazard] || '#636363';
}

export function hazardName(hazard) {
  return (hazard || 'HAZARD_OTHER').replace('HAZARD_', '').toLowerCase().replace('_', ' ');
}
