package io.crmhub.transformers.match;

import java.util.ArrayList;
import java.util.List;

/**
 * Blocking keys: records that share no key are never compared, so matching N records costs close
 * to N comparisons per key instead of N². The keys are chosen so that a duplicate shares at least
 * one of them despite a typo, a nickname, a missing field or a reordered name, and they are what
 * the CRM store indexes for the check of one incoming record.
 */
public final class Blocking {

    private Blocking() {
    }

    public static List<String> keys(Profile p) {
        List<String> keys = new ArrayList<>(8);
        if (p.organization()) {
            for (int i = 0; i < p.core().size(); i++) {
                String w = p.core().get(i);
                if (p.weights()[i] >= 1.0 && w.length() >= 2) {
                    // a number matches only itself (no typo is tolerated in it): its sound would
                    // put 1223 with 123 and 1233
                    keys.add("w:" + (Matcher.hasDigit(w) ? w : p.sounds().get(i)));
                }
            }
            if (!p.compact().isEmpty()) {
                keys.add("n:" + p.compact());
            }
            if (p.compact().length() >= 12) {
                // the same letters cut into words otherwise: "ST Microelectronics" / "STMicroelectronics"
                keys.add("c:" + p.compact().substring(0, 10));
            }
            if (p.domain() != null) {
                keys.add("d:" + p.domain());
            }
        } else {
            String family = p.family() == null ? null : Fold.sound(p.family());
            String given = p.given();
            if (p.birth() != null) {
                keys.add("b:" + p.birth());
            }
            if (family != null && given != null) {
                keys.add("fg:" + family + ":" + given.charAt(0));
                keys.add("fg:" + Fold.sound(given) + ":" + p.family().charAt(0));
            }
            if (family != null && p.birth() != null && p.birth().length() >= 4) {
                keys.add("fy:" + family + ":" + p.birth().substring(0, 4));
            }
            if (given != null && p.postcode() != null) {
                keys.add("gp:" + given + ":" + p.postcode());
            }
            if (given != null && p.birth() != null && p.birth().length() == 8) {
                keys.add("gm:" + given + ":" + p.birth().substring(4));
                keys.add("gy:" + given + ":" + p.birth().substring(0, 4));
            }
            if (p.city() != null) {
                if (family != null) {
                    keys.add("fc:" + family + ":" + p.city());
                }
                if (given != null) {
                    keys.add("gc:" + given + ":" + p.city());
                }
            }
        }
        if (p.email() != null) {
            keys.add("e:" + p.email());
            if (!p.organization()) {
                keys.add("l:" + p.email().substring(0, p.email().indexOf('@')));
            }
        }
        if (p.phone() != null) {
            keys.add("p:" + p.phone());
        }
        p.ids().forEach((system, id) -> keys.add("i:" + system + ":" + id));
        return keys;
    }
}
