package dev.switchboard.keys;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.switchboard.store.LedgerDatabase;
import dev.switchboard.store.PostgresDatabase;
import dev.switchboard.store.SqliteDatabase;
import dev.switchboard.usage.UsageLedger;

/** Virtual keys and teams, in the ledger's database. */
@Configuration(proxyBeanMethods = false)
class KeysConfiguration {
    @Bean
    KeyTable keyTable(LedgerDatabase database) {
        return switch (database) {
            case SqliteDatabase sqlite -> new SqliteKeyTable(sqlite);
            case PostgresDatabase postgres -> new PostgresKeyTable(postgres);
        };
    }

    @Bean
    KeyDirectory keyDirectory(KeyTable table, UsageLedger ledger) {
        return new KeyDirectory(table, ledger.calendar(), ledger::trackPeriods);
    }
}
