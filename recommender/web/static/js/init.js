// Progressive enhancement only: every page works without this file.
import { initAll } from '../nhsuk/nhsuk-frontend.min.js';
import { keepAnswers } from './keep-answers.js';
import { watchProgress } from './progress.js';

initAll();
keepAnswers(document);
watchProgress(document);
