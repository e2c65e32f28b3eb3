/**
 * The AA cells a climate node runs on (hardware/climate-node.md, bill of materials: "lithium (Li-FeS2) for cold
 * weather, or alkaline"), every figure with its source. The manufacturers' PDFs could not be read directly; the
 * sources below are what quotes or shows them. Where no figure was found the source says "assumption".
 *
 * The node's end of life is the pack at 2.15 V, 1.075 V a cell: the SHT31's minimum supply (SHT3x-DIS datasheet:
 * VDD 2.15-5.5 V) is the highest of the parts' (RAK3172 datasheet: 2.0-3.6 V; nRF52832: 1.7-3.6 V), and the cells
 * feed the 3.3 V rail directly (climate-node.md). Both datasheets rate their cells to a lower end voltage (0.8 V
 * alkaline, 0.9 V Li-FeS2): the usable share says how much of the rating the node gets.
 */
import type { BatteryPack, CellSpec, Figure } from './battery-model.ts';

const EEVBLOG_140 = 'EEVblog #140 (youtube.com/watch?v=R8hTQXqURB4) reading the Energizer datasheets';

export const ALKALINE_AA: CellSpec = {
  id: 'alkaline',
  name: 'alkaline AA (Energizer E91 class)',
  ratedMah: {
    value: 2600,
    source:
      'shared/reference/sensors.md: 2600 mAh (the E91 datasheet chart shows about 2800 mAh at 25 mA to 0.8 V, ' +
      `${EEVBLOG_140}; the project figure is kept)`,
  },
  usableShare: {
    value: 0.7,
    source:
      'shared/reference/sensors.md: derated x 0.7, taken as the share above the 1.075 V/cell end of life under the ' +
      '90 mA TX pulses at room temperature (an alkaline cell falls steadily: cutting off at 1.2 V wastes about half, ' +
      `${EEVBLOG_140})`,
  },
  cold: {
    points: [
      { tempC: 21, share: 1 },
      { tempC: 0, share: 0.5 },
    ],
    source:
      `0.5 at 0 °C: the L91 datasheet's chart of alkaline vs lithium at 0 °C and 21 °C, alkaline "more than halved" at ` +
      `0 °C (${EEVBLOG_140}), at the chart's discharge currents, far above the node's ~0.05 mA average, so on the safe side; ` +
      'assumption: no figure below 0 °C was found, so the 0 °C share is kept down to the rated minimum',
  },
  ratedMinC: {
    value: -18,
    source: 'GP alkaline datasheets: operating -18 °C to 50 °C; Energizer LR6: -18 °C to 55 °C (as quoted in a battery-runtime tool)',
  },
  selfDischargePerYear: {
    value: 0.2 / 7,
    source: `E91 datasheet shelf-life chart: 80 % of the capacity left after 7 years at 21 °C (${EEVBLOG_140})`,
  },
};

export const LITHIUM_AA: CellSpec = {
  id: 'li-fes2',
  name: 'Li-FeS2 AA (Energizer L91)',
  ratedMah: {
    value: 3500,
    source:
      'Energizer L91 datasheet (data.energizer.com/pdfs/l91.pdf): 3500 mAh typical at 25 mA to 0.9 V, 21 °C, as quoted ' +
      'by third parties (modernsurvivalblog.com, from the datasheet chart; a 2009 edition gave 3000 mAh)',
  },
  usableShare: {
    value: 0.9,
    assumption: true,
    source:
      "a 10 % margin: at light drain a Li-FeS2 cell discharges in two flat steps (Linden's Handbook of Batteries, 4th ed., " +
      'fig. 14.75) and then drops steeply ("almost square", Energizer\'s technical PDF as read on budgetlightforum.com), ' +
      'so little lies between 1.075 V and the rated 0.9 V; its internal resistance ' +
      '(L91 datasheet: 120-240 mΩ) costs under 25 mV at 90 mA',
  },
  cold: {
    points: [{ tempC: 21, share: 1 }],
    assumption: true,
    source:
      'no loss within the rated range at the node\'s ~0.05 mA average: no low-drain figure below 21 °C was found; the ' +
      'electrolyte\'s conductivity rises as the temperature falls (Linden, p. 14.76) and Energizer rates the cell to -40 °C',
  },
  ratedMinC: { value: -40, source: 'Energizer L91 datasheet and Li-FeS2 handbook: operating -40 °C to 60 °C' },
  selfDischargePerYear: {
    value: 0.1 / 15,
    source:
      'L91 datasheet: "Shelf Life: 15 years at 21 °C (90 % of rated capacity)" (an earlier edition, quoted on ' +
      'candlepowerforums.com); the current edition states a 20-year shelf life',
  },
};

/** The BOM's two choices; lithium first, as the BOM's cold-weather choice. */
export const CELLS: readonly CellSpec[] = [LITHIUM_AA, ALKALINE_AA];

export const DEFAULT_WINTER_C: Figure = {
  value: -10,
  assumption: true,
  source: 'the coldest the cells get in the node\'s last winter, a road sensor in a Central European town',
};

export function twoAa(cell: CellSpec, winterC: Figure = DEFAULT_WINTER_C): BatteryPack {
  return { cell, cellsInSeries: 2, winterC };
}
